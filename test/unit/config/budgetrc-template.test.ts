import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderBudgetrc } from '../../../src/config/budgetrc-template.js';
import { ConfigError } from '../../../src/config/errors.js';
import { parsePolicyText } from '../../../src/config/policy-file.js';
import { PRESETS } from '../../../src/config/presets.js';
import { presetAsPolicy } from '../helpers/preset-policy.js';
import { resolvePolicy } from '../../../src/config/resolve.js';
import { envName, flagName, PRESET_NAMES, SETTING_KEYS } from '../../../src/config/schema.js';

const parse = (text: string) => parsePolicyText(text, { path: '/repo/.budgetrc', display: '.budgetrc', origin: 'file' });

/** Switches every commented-out setting on: `#key: v` and `#  nested: v` lose their `#`; `# text` stays. */
const uncomment = (text: string): string => text.replace(/^#(?=\S| {2})/gm, '');

describe('generated .budgetrc files', () => {
  it.each(PRESET_NAMES)('%s: parses back without errors and resolves to the preset', (preset) => {
    const file = parse(renderBudgetrc(preset));
    expect(Object.keys(file.entries)).toEqual(['policy']);
    const resolved = resolvePolicy({ file });
    expect(resolved.policy.policy).toBe(preset);
    expect(resolved.policy).toMatchObject(presetAsPolicy(PRESETS[preset]));
  });

  it.each([...PRESET_NAMES, null])('%s: every key is documented with its flag and variable, and every commented value is valid', (preset) => {
    const text = renderBudgetrc(preset);
    const prose = text.replace(/\n# /g, ' ');
    for (const key of SETTING_KEYS) {
      const variable = envName(key);
      const flag = flagName(key);
      if (variable !== null) expect(prose, key).toContain(`Variable: ${variable}.`);
      if (flag !== null) expect(prose, key).toContain(`Flag: ${flag}.`);
    }
    const all = parse(uncomment(text));
    expect(Object.keys(all.entries).sort()).toEqual([...SETTING_KEYS].sort());
    // Switched on together, only the one documented either-or rule objects.
    expect(() => resolvePolicy({ file: all })).toThrow(ConfigError);
    expect(() => resolvePolicy({ file: all })).toThrow(
      /^\/repo\/\.budgetrc:\d+ and \/repo\/\.budgetrc:\d+ both set the verification ceiling; set verifyUsd or verifyShare, not both\.$/,
    );
  });

  it('shows the preset’s values on the commented lines', () => {
    const team = renderBudgetrc('team');
    expect(team).toContain('\npolicy: team\n');
    expect(team).toContain('\n#maxUsd: 3.00\n');
    expect(team).toContain('\n#onLimit: ask\n');
    expect(renderBudgetrc('strict')).toContain('\n#unattended: false\n');
    expect(renderBudgetrc('strict')).toContain('\n#idle: 5m\n');
    expect(renderBudgetrc('strict')).toContain('\n#sealed: true\n');
  });

  it('.budgetrc.example is the generated reference of every key', () => {
    const example = readFileSync(new URL('../../../.budgetrc.example', import.meta.url), 'utf8');
    // When a key or its documentation changes, regenerate the file from renderBudgetrc(null).
    expect(example).toBe(renderBudgetrc(null));
    expect(parse(example).entries).toEqual({});
  });
});
