import type { ResolvedPolicy } from './resolve.js';
import { SETTING_KEYS, specOf } from './schema.js';
import { describeSource } from './sources.js';
import type { Policy, SettingKey } from './types.js';

export interface PolicyRow {
  key: string;
  value: string;
  source: string;
}

/** A setting's effective value, read from the assembled policy by its dotted key. */
export function valueOf(policy: Policy, key: SettingKey): unknown {
  const [head, tail] = key.split('.') as [keyof Policy, string | undefined];
  const top: unknown = policy[head];
  return tail === undefined ? top : (top as Record<string, unknown>)[tail];
}

function display(key: SettingKey, value: unknown): string {
  if (value === null) return key === 'idle' ? 'off' : 'none';
  if (key === 'verifyPatterns') {
    const n = (value as readonly string[]).length;
    return n === 1 ? '1 pattern' : `${n} patterns`;
  }
  return specOf(key).kind.format(value as never);
}

/** One row per setting (and one per priced model): key, value for people, and its source. */
export function policyRows(resolved: ResolvedPolicy): PolicyRow[] {
  const rows: PolicyRow[] = [];
  for (const key of SETTING_KEYS) {
    const value = valueOf(resolved.policy, key);
    const source = describeSource(resolved.sources[key]!);
    if (key !== 'prices' || Object.keys(resolved.policy.prices).length === 0) {
      rows.push({ key, value: display(key, value), source });
      continue;
    }
    for (const [model, price] of Object.entries(resolved.policy.prices)) {
      const value = `input $${price.input}, output $${price.output}, cache read $${price.cacheRead}, cache write $${price.cacheWrite} per M tokens`;
      rows.push({ key: `prices.${model}`, value, source: describeSource(resolved.sources[`prices.${model}`]!) });
    }
  }
  return rows;
}

/** `capped config`'s table: key, value and source, in aligned columns. */
export function formatPolicyTable(rows: readonly PolicyRow[]): string {
  const header = { key: 'KEY', value: 'VALUE', source: 'SOURCE' };
  const all = [header, ...rows];
  const keyWidth = Math.max(...all.map((r) => r.key.length));
  const valueWidth = Math.max(...all.map((r) => r.value.length));
  return all.map((r) => `${r.key.padEnd(keyWidth)}  ${r.value.padEnd(valueWidth)}  ${r.source}`.trimEnd()).join('\n') + '\n';
}

/** The effective policy in file form (as a `.budgetrc` would write it), nested by group. */
export function policyAsFile(policy: Policy): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = valueOf(policy, key);
    const raw = value === null && key !== 'idle' ? null : specOf(key).kind.toRaw(value as never);
    const [head, tail] = key.split('.') as [string, string | undefined];
    if (tail === undefined) out[head] = raw;
    else out[head] = { ...(out[head] as Record<string, unknown> | undefined), [tail]: raw };
  }
  return out;
}

/** `capped config --json`: the file that applied, the values in file form, and every source. */
export function policyJson(resolved: ResolvedPolicy, userConfig: string | null): string {
  const sources = Object.fromEntries(Object.entries(resolved.sources).map(([key, source]) => [key, describeSource(source)]));
  return `${JSON.stringify({ file: resolved.file, userConfig, values: policyAsFile(resolved.policy), sources }, null, 2)}\n`;
}
