import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseCount, parseTokenCount, parseUsd } from './parse-values.js';
import { flagName, SETTING_KEYS, specOf } from './schema.js';
import type { LayerEntries, SettingKey } from './types.js';
import { count, Invalid, tokens, usd } from './values.js';

/** A `capped run` option that sets a policy key. */
export interface PolicyFlag {
  key: SettingKey;
  /** `--max-usd` */
  flag: string;
  /** The property commander puts the value under (`maxUsd`). */
  attribute: string;
  /** Commander's option syntax (`--max-usd <dollars>`). */
  option: string;
  description: string;
}

const ARGUMENT: Partial<Record<SettingKey, string>> = {
  maxUsd: '<dollars>',
  maxTokens: '<n>',
  maxActions: '<n>',
  onLimit: '<action>',
  downgradeTo: '<model>',
  model: '<model>',
  escalation: '<mode>',
  escalationDeny: '<how>',
  reserve: '<mode>',
  idle: '<duration>',
  verifyUsd: '<dollars>',
  verifyShare: '<share>',
  restrictedTools: '<names>',
  'ledger.url': '<url>',
  policy: '<preset>',
  'loop.attempts': '<n>',
  'loop.onLoop': '<action>',
  'scope.files': '<n>',
  'scope.onScope': '<action>',
};

/** Help texts kept as `capped run`, `runs` and `report` already word them, so `--help` stays familiar. */
const DESCRIPTION: Partial<Record<SettingKey, string>> = {
  'ledger.url': 'a team ledger on PostgreSQL (default: CAPPED_LEDGER_URL, then config ledger.url, else the local one)',
  maxUsd: 'dollar cap for the run (default: 1.00)',
  maxTokens: 'token cap for the run, all token kinds together (e.g. 200000 or 200k)',
  maxActions: 'tool calls the model may ask for in the run',
  restrictedTools: 'tools removed from every request, comma-separated (e.g. WebSearch,WebFetch)',
  sealed: 'run the agent in its own network namespace whose only way out is capped (Linux)',
};

const camel = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Every policy flag of `capped run`, in schema order. `--unattended` also has `--no-unattended`. */
export const POLICY_FLAGS: readonly PolicyFlag[] = SETTING_KEYS.flatMap((key): PolicyFlag[] => {
  const flag = flagName(key);
  if (flag === null) return [];
  const doc =
    DESCRIPTION[key] ??
    specOf(key)
      .doc.replace(/^./, (c) => c.toLowerCase())
      .replace(/\.$/, '');
  const argument = ARGUMENT[key];
  return [{ key, flag, attribute: camel(flag), option: argument ? `${flag} ${argument}` : flag, description: doc }];
});

/** Adds the policy flags to a commander command (`capped run`). */
export function addPolicyOptions(command: Command): Command {
  for (const f of POLICY_FLAGS) {
    command.option(f.option, f.description);
    if (f.key === 'unattended') command.option('--no-unattended', 'refuse to run with nobody present');
  }
  return command;
}

/**
 * The flag layer from commander's parsed options (strings, or booleans for `--[no-]unattended`).
 * A bad value throws UsageError in the flag parsers' shape:
 * "Expected `--max-usd` to be a positive number of dollars (e.g. --max-usd 1.50), got `abc`."
 */
export function flagLayer(raw: Readonly<Record<string, unknown>>): LayerEntries {
  const entries: Record<string, unknown> = {};
  for (const f of POLICY_FLAGS) {
    const given = raw[f.attribute];
    if (given === undefined) continue;
    entries[f.key] = { value: parseFlagValue(f, given), source: { kind: 'flag', flag: flagOf(f, given) } };
  }
  return entries;
}

function flagOf(f: PolicyFlag, given: unknown): string {
  return given === false && f.key === 'unattended' ? '--no-unattended' : f.flag;
}

function parseFlagValue(f: PolicyFlag, given: unknown): unknown {
  const kind = specOf(f.key).kind;
  if (typeof given === 'boolean') return kind.parse(given);
  const text = String(given);
  // The dollar, token and count flags keep the exact messages `capped run` always gave.
  if (kind === usd) return parseUsd(f.flag, text);
  if (kind === tokens) return parseTokenCount(f.flag, text);
  if (kind === count) return parseCount(f.flag, text);
  try {
    return kind.parse(kind.fromText(text));
  } catch (err) {
    if (err instanceof Invalid) throw new UsageError(`Expected \`${f.flag}\` to be ${err.expected}, got \`${text}\`.`);
    throw err;
  }
}
