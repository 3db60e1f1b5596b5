import { describe, expect, it } from 'vitest';
import { POLICY_DEFAULTS } from '../../../src/config/defaults.js';
import { envLayer } from '../../../src/config/env.js';
import { ConfigError } from '../../../src/config/errors.js';
import { flagLayer } from '../../../src/config/flags.js';
import { parsePolicyText } from '../../../src/config/policy-file.js';
import { resolvePolicy, verificationUsd, type PolicyLayers } from '../../../src/config/resolve.js';
import { describeSource } from '../../../src/config/sources.js';
import type { PolicyFile } from '../../../src/config/types.js';

const REPO = '/repo/.budgetrc';
const USER = '/home/u/.config/capped/config.json';

const file = (text: string): PolicyFile => parsePolicyText(text, { path: REPO, display: '.budgetrc', origin: 'file' });
const user = (json: object): PolicyFile => parsePolicyText(JSON.stringify(json, null, 2), { path: USER, display: USER, origin: 'user' });

/** Every source, described as `capped config` prints it. */
function sources(layers: PolicyLayers): Record<string, string> {
  return Object.fromEntries(Object.entries(resolvePolicy(layers).sources).map(([key, s]) => [key, describeSource(s)]));
}

function problems(layers: PolicyLayers): readonly string[] {
  try {
    resolvePolicy(layers);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('resolvePolicy: precedence flags > env > .budgetrc > user > preset > built-ins', () => {
  it('gives the built-in policy, every value from built-in, with no layers', () => {
    const resolved = resolvePolicy({});
    expect(resolved.policy).toEqual(POLICY_DEFAULTS);
    expect(resolved.file).toBeNull();
    expect(new Set(Object.values(sources({})))).toEqual(new Set(['built-in']));
  });

  it('takes each key from the highest layer that sets it', () => {
    const layers: PolicyLayers = {
      flags: flagLayer({ maxUsd: '5' }),
      env: envLayer({ CAPPED_MAX_USD: '4', CAPPED_MAX_TOKENS: '400k' }),
      file: file('maxUsd: 3\nmaxTokens: 300000\nmaxActions: 30\n'),
      user: user({ maxUsd: 2, maxTokens: 200000, maxActions: 20, idle: '20m', policy: 'team' }),
    };
    const { policy } = resolvePolicy(layers);
    expect(policy.maxUsd).toBe(5);
    expect(policy.maxTokens).toBe(400_000);
    expect(policy.maxActions).toBe(30);
    expect(policy.idle).toBe(20 * 60_000);
    expect(policy.onLimit).toBe('ask'); // preset team
    expect(policy.escalationDeny).toBe('send-selected'); // built-in
    expect(policy.policy).toBe('team');
    expect(sources(layers)).toMatchObject({
      maxUsd: 'flag --max-usd',
      maxTokens: 'env CAPPED_MAX_TOKENS',
      maxActions: '/repo/.budgetrc:3',
      idle: 'user config',
      policy: 'user config',
      onLimit: 'preset team',
      escalation: 'preset team',
      retentionDays: 'preset team',
      escalationDeny: 'built-in',
      unattended: 'built-in',
    });
  });

  it('lets each layer win over every layer below it, one key at a time', () => {
    const all: PolicyLayers = {
      flags: flagLayer({ onLimit: 'pause' }),
      env: envLayer({ CAPPED_ON_LIMIT: 'ask' }),
      file: file('onLimit: downgrade\ndowngradeTo: m-small\n'),
      user: user({ onLimit: 'stop', policy: 'team' }),
    };
    const expected = [
      ['pause', 'flag --on-limit'],
      ['ask', 'env CAPPED_ON_LIMIT'],
      ['downgrade', '/repo/.budgetrc:1'],
      ['stop', 'user config'],
    ];
    const order = ['flags', 'env', 'file', 'user'] as const;
    for (const [i, [value, source]] of expected.entries()) {
      const layers: PolicyLayers = { file: file('downgradeTo: m-small\n'), user: user({ policy: 'team' }) };
      for (const name of order.slice(i)) Object.assign(layers, { [name]: all[name] });
      expect(resolvePolicy(layers).policy.onLimit, source).toBe(value);
      expect(sources(layers).onLimit).toBe(source);
    }
    // Below the user layer: the preset named by it, then the built-in.
    expect(resolvePolicy({ user: user({ policy: 'team' }) }).policy.onLimit).toBe('ask');
    expect(sources({ user: user({ policy: 'team' }) }).onLimit).toBe('preset team');
    expect(sources({ user: user({ policy: 'strict' }) }).escalationDeny).toBe('built-in');
  });

  it('takes the preset from the highest layer that names one', () => {
    const layers = { flags: flagLayer({ policy: 'strict' }), file: file('policy: team\n') };
    expect(resolvePolicy(layers).policy.maxUsd).toBe(0.5);
    expect(sources(layers)).toMatchObject({ policy: 'flag --policy', maxUsd: 'preset strict', restrictedTools: 'preset strict' });
    expect(resolvePolicy({ env: envLayer({ CAPPED_POLICY: 'team' }), file: file('policy: strict') }).policy.maxUsd).toBe(3);
  });

  it('keeps nested keys apart: ledger.url and each ceiling have their own source', () => {
    const layers = {
      env: envLayer({ CAPPED_LEDGER_URL: 'postgres://env.example/db' }),
      file: file('ledger:\n  url: postgres://file.example/db\nceilings:\n  maxTokens: 1m\n'),
    };
    const resolved = resolvePolicy(layers);
    expect(resolved.policy.ledger).toEqual({ url: 'postgres://env.example/db' });
    expect(resolved.policy.ceilings).toEqual({ maxUsd: null, maxTokens: 1_000_000, maxActions: null });
    expect(sources(layers)).toMatchObject({ 'ledger.url': 'env CAPPED_LEDGER_URL', 'ceilings.maxTokens': '/repo/.budgetrc:4', 'ceilings.maxUsd': 'built-in' });
  });

  it('merges price overrides model by model, each with its source', () => {
    const layers = {
      env: envLayer({ CAPPED_PRICES: '{"shared": {"input": 9, "output": 9}}' }),
      file: file('prices:\n  shared: {input: 1, output: 2}\n  repo-model: {input: 3, output: 4, cacheRead: 0.3, cacheWrite: 3.75}\n'),
      user: user({ prices: { 'mine.v1': { input: 5, output: 6 } } }),
    };
    const resolved = resolvePolicy(layers);
    expect(resolved.policy.prices).toEqual({
      'mine.v1': { input: 5, output: 6, cacheRead: 5, cacheWrite: 5 },
      shared: { input: 9, output: 9, cacheRead: 9, cacheWrite: 9 },
      'repo-model': { input: 3, output: 4, cacheRead: 0.3, cacheWrite: 3.75 },
    });
    expect(sources(layers)).toMatchObject({
      prices: 'env CAPPED_PRICES',
      'prices.shared': 'env CAPPED_PRICES',
      'prices.repo-model': '/repo/.budgetrc:1',
      'prices.mine.v1': 'user config',
    });
  });

  it('records the file that applied', () => {
    expect(resolvePolicy({ file: file('maxUsd: 2') }).file).toBe(REPO);
  });
});

describe('resolvePolicy: verification ceiling', () => {
  it('lets the highest layer that sets verifyUsd or verifyShare decide', () => {
    const a = resolvePolicy({ flags: flagLayer({ verifyShare: '0.25' }), file: file('verifyUsd: 0.50') });
    expect(a.policy).toMatchObject({ verifyUsd: null, verifyShare: 0.25 });
    expect(describeSource(a.sources.verifyUsd!)).toBe('flag --verify-share');
    const b = resolvePolicy({ flags: flagLayer({ verifyUsd: '0.3' }), file: file('verifyShare: 0.2') });
    expect(b.policy).toMatchObject({ verifyUsd: 0.3, verifyShare: 0.2 });
    const c = resolvePolicy({ user: user({ verifyUsd: 0.6 }), flags: flagLayer({ policy: 'individual' }) });
    expect(c.policy.verifyUsd).toBe(0.6); // the user default is above the preset's verifyShare
  });

  it('computes the ceiling in dollars', () => {
    expect(verificationUsd({ ...POLICY_DEFAULTS, maxUsd: 3 })).toBe(1.2);
    expect(verificationUsd({ ...POLICY_DEFAULTS, maxUsd: 0.75 })).toBe(0.3);
    expect(verificationUsd({ ...POLICY_DEFAULTS, maxUsd: 2, verifyUsd: 0.5 })).toBe(0.5);
    expect(verificationUsd({ ...POLICY_DEFAULTS, maxUsd: 1, verifyUsd: 5 })).toBe(1);
  });

  it('rejects both in one layer', () => {
    expect(problems({ file: file('verifyUsd: 0.5\nverifyShare: 0.3\n') })).toEqual([
      '/repo/.budgetrc:1 and /repo/.budgetrc:2 both set the verification ceiling; set verifyUsd or verifyShare, not both.',
    ]);
    expect(problems({ flags: flagLayer({ verifyUsd: '1', verifyShare: '0.5' }) })).toEqual([
      'flag --verify-usd and flag --verify-share both set the verification ceiling; set verifyUsd or verifyShare, not both.',
    ]);
  });
});

describe('resolvePolicy: repository ceilings', () => {
  const repo = file('# team repo\nmaxUsd: 1.50\n\nceilings:\n  maxUsd: 2\n  maxTokens: 500k\n  maxActions: 40\n');

  it('rejects a flag above a ceiling, naming the file and line that set it', () => {
    expect(problems({ flags: flagLayer({ maxUsd: '5' }), file: repo })).toEqual([
      '--max-usd 5 exceeds the ceiling of $2.00 set in /repo/.budgetrc (line 5); lower it or change that file.',
    ]);
    expect(problems({ flags: flagLayer({ maxTokens: '600k', maxActions: '41' }), file: repo })).toEqual([
      '--max-tokens 600000 exceeds the ceiling of 500000 tokens set in /repo/.budgetrc (line 6); lower it or change that file.',
      '--max-actions 41 exceeds the ceiling of 40 tool actions set in /repo/.budgetrc (line 7); lower it or change that file.',
    ]);
  });

  it('rejects a variable, a user default and the file itself above a ceiling', () => {
    expect(problems({ env: envLayer({ CAPPED_MAX_USD: '2.5' }), file: repo })).toEqual([
      'CAPPED_MAX_USD=2.5 exceeds the ceiling of $2.00 set in /repo/.budgetrc (line 5); lower it or change that file.',
    ]);
    const noCap = file('ceilings:\n  maxUsd: 2\n');
    expect(problems({ user: user({ maxUsd: 3 }), file: noCap })).toEqual([
      `maxUsd 3 in your user config (${USER}) exceeds the ceiling of $2.00 set in /repo/.budgetrc (line 2); lower it or change that file.`,
    ]);
    expect(problems({ file: file('maxUsd: 3\nceilings:\n  maxUsd: 2\n') })).toEqual([
      'maxUsd 3 in /repo/.budgetrc (line 1) exceeds the ceiling of $2.00 set in /repo/.budgetrc (line 3); lower it or change that file.',
    ]);
  });

  it('accepts values at or below a ceiling', () => {
    const resolved = resolvePolicy({ flags: flagLayer({ maxUsd: '2', maxTokens: '500k', maxActions: '40' }), file: repo });
    expect(resolved.policy).toMatchObject({ maxUsd: 2, maxTokens: 500_000, maxActions: 40 });
  });

  it('lowers preset and built-in values to the ceiling, and says so', () => {
    const layers = { flags: flagLayer({ policy: 'team' }), file: file('ceilings:\n  maxUsd: 2\n  maxTokens: 100k\n') };
    const resolved = resolvePolicy(layers);
    expect(resolved.policy).toMatchObject({ maxUsd: 2, maxTokens: 100_000, maxActions: null });
    expect(sources(layers)).toMatchObject({
      maxUsd: 'ceiling in /repo/.budgetrc:2 (lowered from preset team)',
      maxTokens: 'ceiling in /repo/.budgetrc:3 (lowered from built-in)',
      maxActions: 'built-in',
    });
  });
});

describe('resolvePolicy: rules across keys', () => {
  it('requires downgradeTo for onLimit downgrade, saying where onLimit came from', () => {
    expect(problems({ flags: flagLayer({ onLimit: 'downgrade' }) })).toEqual([
      'onLimit is downgrade (flag --on-limit) but no downgradeTo model is set; set downgradeTo (--downgrade-to <model>) or choose another onLimit.',
    ]);
    expect(resolvePolicy({ flags: flagLayer({ onLimit: 'downgrade' }), user: user({ downgradeTo: 'claude-haiku-4-5' }) }).policy.downgradeTo).toBe(
      'claude-haiku-4-5',
    );
  });

  it('reports every problem at once', () => {
    expect(problems({ flags: flagLayer({ onLimit: 'downgrade', maxUsd: '9' }), file: file('ceilings:\n  maxUsd: 1\n') })).toHaveLength(2);
  });
});

describe('resolvePolicy: sealed runs', () => {
  it('is on in the strict preset, with any host tunnelled and none denied by default', () => {
    expect(resolvePolicy({ flags: flagLayer({ policy: 'strict' }) }).policy).toMatchObject({ sealed: true, sealedAllow: ['*'], sealedDeny: [] });
    expect(resolvePolicy({}).policy.sealed).toBe(false);
  });

  it('reads the host lists from .budgetrc', () => {
    const { policy } = resolvePolicy({ file: file('sealed: true\nsealedAllow: [github.com, "*.npmjs.org"]\nsealedDeny: [Gist.GitHub.com]\n') });
    expect(policy).toMatchObject({ sealed: true, sealedAllow: ['github.com', '*.npmjs.org'], sealedDeny: ['gist.github.com'] });
  });

  it('does not let a variable or user default turn off a repository that requires sealed runs', () => {
    expect(problems({ env: envLayer({ CAPPED_SEALED: 'false' }), file: file('sealed: true\n') })).toEqual([
      'env CAPPED_SEALED turns sealed runs off, but /repo/.budgetrc:1 requires them in this repository; remove that setting.',
    ]);
    expect(resolvePolicy({ user: user({ sealed: false }), file: file('sealed: true\n') }).policy.sealed).toBe(true);
    expect(resolvePolicy({ env: envLayer({ CAPPED_SEALED: 'false' }), file: file('sealed: false\n') }).policy.sealed).toBe(false);
  });
});

describe('sealed host lists in a file', () => {
  it('rejects an entry that is not a host name or pattern, naming where it is', () => {
    expect(() => file('sealedAllow: [github.com, "http://x.com/"]\n')).toThrow(
      /sealedAllow.*expected a host name or pattern such as github.com or \*\.npmjs\.org, found "http:\/\/x\.com\/"/s,
    );
  });
});
