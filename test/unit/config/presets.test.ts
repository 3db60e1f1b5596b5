import { describe, expect, it } from 'vitest';
import { POLICY_DEFAULTS } from '../../../src/config/defaults.js';
import { flagLayer } from '../../../src/config/flags.js';
import { PRESETS } from '../../../src/config/presets.js';
import { resolvePolicy } from '../../../src/config/resolve.js';

const policyOf = (preset: string) => resolvePolicy({ flags: flagLayer({ policy: preset }) }).policy;

describe('presets', () => {
  it('individual: $1.00, hard stop, no automatic escalation, idle 10m, verification 40%', () => {
    expect(policyOf('individual')).toEqual({
      ...POLICY_DEFAULTS,
      policy: 'individual',
      maxUsd: 1,
      onLimit: 'stop',
      escalation: 'deny',
      idle: 600_000,
      verifyShare: 0.4,
    });
  });

  it('team: $3.00, ask at the cap, escalation with confirmation, run log kept 30 days', () => {
    expect(policyOf('team')).toEqual({
      ...POLICY_DEFAULTS,
      policy: 'team',
      maxUsd: 3,
      onLimit: 'ask',
      escalation: 'ask',
      retentionDays: 30,
      scope: { files: 200, onScope: 'ask' },
    });
  });

  it('strict: lower cap, no unattended execution, no escalation, web tools restricted', () => {
    const strict = policyOf('strict');
    expect(strict).toMatchObject({ maxUsd: 0.5, onLimit: 'stop', unattended: false, escalation: 'deny', idle: 300_000, scope: { files: 80, onScope: 'stop' } });
    expect(strict.maxUsd).toBeLessThan(policyOf('individual').maxUsd);
    expect(strict.restrictedTools).toEqual(expect.arrayContaining(['web_search', 'web_fetch', 'WebSearch', 'WebFetch']));
  });

  it('the built-ins match individual except escalation, which asks (DESIGN: never silent)', () => {
    for (const [key, value] of Object.entries(PRESETS.individual)) {
      const builtin = (POLICY_DEFAULTS as unknown as Record<string, unknown>)[key];
      if (key === 'escalation') expect(builtin).toBe('ask');
      else expect(builtin, key).toEqual(value);
    }
  });

  it('an explicit value wins over the preset', () => {
    expect(resolvePolicy({ flags: flagLayer({ policy: 'team', maxUsd: '1.25' }) }).policy.maxUsd).toBe(1.25);
  });
});
