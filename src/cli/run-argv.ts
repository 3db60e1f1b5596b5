import { POLICY_FLAGS } from '../config/flags.js';

/** `capped run`'s options besides the policy flags, as main.ts defines them for commander. */
export const RUN_OWN_OPTIONS = [
  { flag: '--record', attribute: 'record', option: '--record <file>', description: 'write the run record (JSON) to this file when the run ends' },
  {
    flag: '--summary-html',
    attribute: 'summaryHtml',
    option: '--summary-html <file>',
    description: "write the run's page (HTML, its spend curve) to this file when the run ends",
  },
] as const;

interface Option {
  attribute: string;
  takesValue: boolean;
  value?: boolean;
}

/** Every `capped run` option by its flag, with what commander would store for it. */
const OPTIONS: ReadonlyMap<string, Option> = new Map<string, Option>([
  ...RUN_OWN_OPTIONS.map((o): [string, Option] => [o.flag, { attribute: o.attribute, takesValue: true }]),
  ...POLICY_FLAGS.map((f): [string, Option] => [f.flag, { attribute: f.attribute, takesValue: f.option !== f.flag }]),
  ['--no-unattended', { attribute: 'unattended', takesValue: false, value: false }],
]);

/**
 * The options of a plain `capped run [options] -- <command>` line, as commander would parse them,
 * without loading commander: `head` is the line before `--`. A run is what users start most, and
 * commander's load and program cost about 15 ms of every start (issue 11).
 *
 * Only a line whose every word is a known option with its value (`--max-usd 2` or `--max-usd=2`)
 * is taken; anything else (help, an unknown option, a missing value, a value that starts with a
 * dash, a stray word) gives null, and commander parses the line, with its own messages.
 */
export function quickRunOptions(head: readonly string[]): Record<string, string | boolean> | null {
  if (head[0] !== 'run') return null;
  const raw: Record<string, string | boolean> = {};
  for (let i = 1; i < head.length; i++) {
    const word = head[i]!;
    const eq = word.indexOf('=');
    const option = OPTIONS.get(eq === -1 ? word : word.slice(0, eq));
    if (!option) return null;
    if (!option.takesValue) {
      if (eq !== -1) return null;
      raw[option.attribute] = option.value ?? true;
      continue;
    }
    if (eq !== -1) {
      raw[option.attribute] = word.slice(eq + 1);
      continue;
    }
    const value = head[i + 1];
    if (value === undefined || value.startsWith('-')) return null;
    raw[option.attribute] = value;
    i++;
  }
  return raw;
}
