import { POLICY_DEFAULTS } from './defaults.js';
import { PRESETS } from './presets.js';
import { envName, flagName, GROUPS, SETTING_KEYS, specOf } from './schema.js';
import type { PresetName, SettingKey } from './types.js';
import { usd } from './values.js';
import { yamlLib } from './yaml-lib.js';

const WIDTH = 100;

function wrap(text: string, prefix = '# '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && prefix.length + line.length + 1 + word.length > WIDTH) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(prefix + line);
  return lines;
}

/** The value a generated file shows for a key, and where that value comes from. */
function shown(key: SettingKey, preset: PresetName | null): { raw: unknown; note: string } {
  const kind = specOf(key).kind;
  const fromPreset = preset === null ? undefined : PRESETS[preset][key];
  if (fromPreset !== undefined) return { raw: kind.toRaw(fromPreset), note: `Default: ${kind.format(fromPreset)} (preset ${preset}).` };
  const [head, tail] = key.split('.') as [keyof typeof POLICY_DEFAULTS, string | undefined];
  const top: unknown = POLICY_DEFAULTS[head];
  const builtin = tail === undefined ? top : (top as Record<string, unknown>)[tail];
  const empty = builtin === null || (Array.isArray(builtin) && builtin.length === 0) || (key === 'prices' && Object.keys(builtin as object).length === 0);
  const described = empty ? 'none' : key === 'verifyPatterns' ? 'the built-in list below' : kind.format(builtin as never);
  const note = `Default: ${described}.`;
  return { raw: kind.toRaw((empty ? specOf(key).example : builtin) as never), note };
}

/** One setting as YAML lines (`maxUsd: 3.00`), indented under its group when it has one. */
function yamlLines(key: SettingKey, raw: unknown, indent: string): string[] {
  const leaf = key.includes('.') ? key.split('.')[1]! : key;
  if (specOf(key).kind === usd && typeof raw === 'number' && Number(raw.toFixed(2)) === raw) return [`${indent}${leaf}: ${raw.toFixed(2)}`];
  const flow = key === 'restrictedTools';
  const text = yamlLib().stringify({ [leaf]: raw }, { lineWidth: 0, ...(flow ? { flowCollectionPadding: false, collectionStyle: 'flow' as const } : {}) });
  const body = flow ? text.replace(/^\{ ?|\s*\}\s*$/g, '') : text.trimEnd();
  return body.split('\n').map((line) => indent + line);
}

function where(key: SettingKey): string {
  const flag = flagName(key);
  const variable = envName(key);
  if (variable === null) return 'Only a .budgetrc sets it.';
  return flag === null ? `Variable: ${variable}.` : `Flag: ${flag}. Variable: ${variable}.`;
}

const HEADER = [
  '.budgetrc — this repository’s spending policy for `capped run`. capped finds it by walking up from ' +
    'the working directory; the first one found applies, and a running session reloads it when it ' +
    'changes.',
  'YAML (JSON works too). Precedence: flags > CAPPED_* variables > this file > user defaults (`capped ' +
    'config set`) > the preset named by `policy` > built-ins. `capped config` shows every effective ' +
    'value and where it came from.',
];

/**
 * A commented `.budgetrc`: every key documented with its flag, variable and default. With a preset
 * it sets `policy:` and shows that preset's values; the other lines are commented out (`#key:`),
 * ready to be switched on by removing the `#`.
 */
export function renderBudgetrc(preset: PresetName | null): string {
  const out: string[] = [
    ...wrap(HEADER[0]!),
    '#',
    ...wrap(HEADER[1]!),
    '#',
    '# Lines starting with `#key:` are settings left at their default: remove the `#` to set one.',
  ];
  const done = new Set<string>();
  for (const key of SETTING_KEYS) {
    const group = key.includes('.') ? key.split('.')[0]! : null;
    if (group !== null) {
      if (done.has(group)) continue;
      done.add(group);
      const members = GROUPS[group]!.map((m) => `${group}.${m}` as SettingKey);
      out.push('');
      for (const member of members) out.push(...wrap(`${member}: ${specOf(member).doc} ${shown(member, preset).note} ${where(member)}`));
      out.push(`#${group}:`);
      for (const member of members) out.push(...yamlLines(member, shown(member, preset).raw, '  ').map((l) => `#${l}`));
      continue;
    }
    const value = shown(key, preset);
    const active = key === 'policy' && preset !== null;
    out.push('', ...wrap(`${specOf(key).doc} ${value.note} ${where(key)}`));
    const lines = yamlLines(key, active ? preset : value.raw, '');
    out.push(...(active ? lines : lines.map((l) => `#${l}`)));
  }
  return `${out.join('\n')}\n`;
}
