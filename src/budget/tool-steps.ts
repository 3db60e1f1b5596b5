import { shellCommand } from './phases.js';

/**
 * One tool call from a request's conversation history with what it returned, as the provider
 * modules read them. `failed` is the provider's own error flag (Anthropic's `is_error`, Gemini's
 * `error` response), or null when the shape has none and only the output text can tell.
 */
export interface ToolStep {
  /** The provider's id for the call (`toolu_…`, `call_…`), when its history gives one. */
  id?: string | null;
  name: string;
  /** The call's input as JSON text (arguments, command). */
  input: string;
  /** The result text the agent sent back ('' when the history holds no result yet). */
  output: string;
  failed: boolean | null;
}

/** A step as people read it (`npm run build`) and as retries of it compare equal. */
export interface StepIdentity {
  label: string;
  key: string;
}

const QUOTES = /["'`]/g;
/** Shell operators that separate commands; each command's flags are sorted on their own. */
const SEPARATORS = /\s*(&&|\|\||;|\|)\s*/;

/** A path (anything with a slash) becomes its last segment: `./build`, `build` and `/repo/build` are one. */
function normaliseToken(token: string): string {
  let t = token.replace(/\d+(\.\d+)*/g, '#');
  if (t.includes('/') && !/^[a-z]+:\/\//i.test(t)) t = t.replace(/\/+$/, '').split('/').pop() || '/';
  return t;
}

/**
 * A shell command with what varies between retries of the same step taken out: numbers, paths
 * (to their last segment), quoting, extra whitespace, and the order of flags within each command.
 */
export function normaliseCommand(command: string): string {
  return command
    .replace(QUOTES, '')
    .trim()
    .split(SEPARATORS)
    .map((part, i) => {
      if (i % 2 === 1) return part; // the separator itself
      const tokens = part.split(/\s+/).filter(Boolean).map(normaliseToken);
      const flags = tokens.filter((t) => t.startsWith('-')).sort();
      return [...tokens.filter((t) => !t.startsWith('-')), ...flags].join(' ');
    })
    .join(' ');
}

/** Any other text compared the same way: numbers and paths taken out, whitespace collapsed. */
export function normaliseText(text: string): string {
  return text.replace(QUOTES, '').trim().split(/\s+/).map(normaliseToken).join(' ');
}

/** JSON input with its keys in order and each text value normalised: `{"a":1,"b":2}` and `{"b":3,"a":1}` are one input. */
function canonicalInput(input: string): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (typeof v === 'string') return normaliseText(v);
    if (typeof v === 'number') return '#';
    if (v === null || typeof v !== 'object') return v;
    const record = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, canonical(record[k])]),
    );
  };
  try {
    return JSON.stringify(canonical(JSON.parse(input)));
  } catch {
    return normaliseText(input);
  }
}

const MAX_LABEL = 80;

/** What step a tool call is: its shell command, else its tool name with its input. */
export function stepIdentity(step: Pick<ToolStep, 'name' | 'input'>): StepIdentity {
  // `bash -lc "npm run build"` (Codex's argv form) is the step `npm run build`.
  const command = shellCommand(step)?.replace(/^\s*(?:\/\S*\/)?(?:ba|z)?sh\s+-l?c\s+/, '') ?? null;
  if (command !== null) {
    const label = command.replace(/\s+/g, ' ').trim();
    return { label: label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label, key: `$ ${normaliseCommand(command)}` };
  }
  return { label: step.name, key: `${step.name} ${canonicalInput(step.input)}` };
}
