/**
 * The agent command as capped stores and prints it (ledger, record, log lines, CI summary): the
 * executable and its flags stay, so runs can be told apart; free text and secrets do not. A key
 * becomes `***`, a prompt its length (`<prompt: 412 chars>`). `--keep-args` stores it verbatim.
 */

/**
 * Flags whose value is a secret: a whole word of the flag names one (`--api-key X`, `--token=X`,
 * `--db-password X`, `--auth-token X`); `--max-tokens` and `--keyboard` are not.
 */
const SECRET_FLAG = /^--?([\w-]*[-_])?(key|token|secret|password|passwd|pwd|auth|credentials?|cookie|bearer)([-_][\w-]*)?$/i;

/** Well-known key and token shapes (OpenAI/Anthropic sk-, GitHub, Slack, Google, GitLab, HF, AWS, JWT). */
const KEY_SHAPE = new RegExp(
  [
    /^(sk|pk|rk)-[\w-]{8,}/,
    /^(ghp|gho|ghs|ghu|ghr|github_pat|glpat|hf|xox[abprs])[-_][\w-]{8,}/,
    /^AIza[\w-]{20,}/,
    /^AKIA[0-9A-Z]{12,}/,
    /^eyJ[\w-]{8,}\.[\w-]+/,
    /^Bearer\s+\S{8,}/,
  ]
    .map((r) => r.source)
    .join('|'),
);

/** Free text longer than this, or any text with whitespace, is a prompt rather than an option value. */
const LONG_TEXT = 64;

/** Bits per character above which a long word reads as random (a key), not a name or a path. */
const RANDOM_BITS = 3.5;
const RANDOM_MIN_LENGTH = 16;

function entropyBits(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Whether one argument (or a flag's value) looks like a key or token. */
export function looksSecret(arg: string): boolean {
  if (KEY_SHAPE.test(arg)) return true;
  if (/\s|\//.test(arg)) return false; // words and paths are not tokens
  // A long run of mixed letters and digits with no word structure (model names and versions are
  // short words and numbers between dashes): an opaque token.
  return arg.split(/[-_.:]/).some((part) => part.length >= RANDOM_MIN_LENGTH && /\d/.test(part) && /[A-Za-z]/.test(part) && entropyBits(part) >= RANDOM_BITS);
}

function isFreeText(arg: string): boolean {
  return /\s/.test(arg.trim()) || [...arg].length > LONG_TEXT;
}

/** One value as stored: a secret as `***`, free text as its length, anything else as is. */
function redactValue(value: string): string {
  if (looksSecret(value)) return '***';
  if (isFreeText(value)) return `<prompt: ${[...value].length} chars>`;
  return value;
}

/** The command as stored: the executable verbatim, every later argument through `redactValue`. */
export function redactCommand(command: readonly string[]): string[] {
  const out: string[] = [];
  let secretNext = false;
  for (const [i, arg] of command.entries()) {
    if (i === 0) {
      out.push(arg);
      continue;
    }
    if (secretNext && !arg.startsWith('-')) {
      out.push('***');
      secretNext = false;
      continue;
    }
    secretNext = false;
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0) {
      const flag = arg.slice(0, eq);
      out.push(`${flag}=${SECRET_FLAG.test(flag) ? '***' : redactValue(arg.slice(eq + 1))}`);
      continue;
    }
    if (arg.startsWith('-') && !/\s/.test(arg)) {
      secretNext = SECRET_FLAG.test(arg);
      out.push(looksSecret(arg) ? '***' : arg);
      continue;
    }
    out.push(redactValue(arg));
  }
  return out;
}

/** The command to store for a run: verbatim with `keepArgs`, else redacted. */
export function storedCommand(command: readonly string[], keepArgs: boolean): string[] {
  return keepArgs ? [...command] : redactCommand(command);
}
