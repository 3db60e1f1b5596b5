import { describe, expect, it } from 'vitest';
import { ENV_KEYS, envLayer, envWarnings } from '../../../src/config/env.js';
import { ConfigError } from '../../../src/config/errors.js';
import { envName } from '../../../src/config/schema.js';

function problems(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    envLayer(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const values = (env: NodeJS.ProcessEnv): Record<string, unknown> => Object.fromEntries(Object.entries(envLayer(env)).map(([key, entry]) => [key, entry.value]));

describe('environment variables', () => {
  it('derives every name from its key: CAPPED_ + SCREAMING_SNAKE, nested keys joined', () => {
    expect(envName('maxUsd')).toBe('CAPPED_MAX_USD');
    expect(envName('onLimit')).toBe('CAPPED_ON_LIMIT');
    expect(envName('escalationDeny')).toBe('CAPPED_ESCALATION_DENY');
    expect(envName('ledger.url')).toBe('CAPPED_LEDGER_URL');
    expect(envName('retentionDays')).toBe('CAPPED_RETENTION_DAYS');
    expect(envName('ceilings.maxUsd')).toBeNull();
    expect([...ENV_KEYS.keys()]).toEqual([
      'CAPPED_POLICY',
      'CAPPED_MAX_USD',
      'CAPPED_MAX_TOKENS',
      'CAPPED_MAX_ACTIONS',
      'CAPPED_ON_LIMIT',
      'CAPPED_DOWNGRADE_TO',
      'CAPPED_MODEL',
      'CAPPED_ESCALATION',
      'CAPPED_ESCALATION_DENY',
      'CAPPED_RESERVE',
      'CAPPED_IDLE',
      'CAPPED_UNATTENDED',
      'CAPPED_KEEP_ARGS',
      'CAPPED_VERIFY_USD',
      'CAPPED_VERIFY_SHARE',
      'CAPPED_VERIFY_PATTERNS',
      'CAPPED_RESTRICTED_TOOLS',
      'CAPPED_ALLOW_ROUTES',
      'CAPPED_BATCHES',
      'CAPPED_LEDGER_URL',
      'CAPPED_LOOP_ATTEMPTS',
      'CAPPED_LOOP_ON_LOOP',
      'CAPPED_SCOPE_FILES',
      'CAPPED_SCOPE_ON_SCOPE',
      'CAPPED_SEALED',
      'CAPPED_SEALED_ALLOW',
      'CAPPED_SEALED_DENY',
      'CAPPED_RETENTION_DAYS',
      'CAPPED_DAILY',
      'CAPPED_WEEKLY',
      'CAPPED_PRICES',
    ]);
  });

  it('parses each kind of value from text', () => {
    expect(
      values({
        CAPPED_MAX_USD: '$1.25',
        CAPPED_MAX_TOKENS: '1.5m',
        CAPPED_MAX_ACTIONS: '0',
        CAPPED_ON_LIMIT: 'pause',
        CAPPED_IDLE: 'off',
        CAPPED_UNATTENDED: 'false',
        CAPPED_VERIFY_SHARE: '30%',
        CAPPED_RESTRICTED_TOOLS: 'WebSearch, WebFetch',
        CAPPED_VERIFY_PATTERNS: '["\\\\bmake\\\\s+test\\\\b", "x{1,3}"]',
        CAPPED_LEDGER_URL: 'postgres://capped@ledger.example.com/capped',
        CAPPED_PRICES: '{"m": {"input": 1, "output": 2}}',
      }),
    ).toEqual({
      maxUsd: 1.25,
      maxTokens: 1_500_000,
      maxActions: 0,
      onLimit: 'pause',
      idle: null,
      unattended: false,
      verifyShare: 0.3,
      restrictedTools: ['WebSearch', 'WebFetch'],
      verifyPatterns: ['\\bmake\\s+test\\b', 'x{1,3}'],
      'ledger.url': 'postgres://capped@ledger.example.com/capped',
      prices: { m: { input: 1, output: 2, cacheRead: 1, cacheWrite: 1 } },
    });
  });

  it('ignores unset and empty variables and variables that are not settings', () => {
    expect(envLayer({ CAPPED_MAX_USD: '', CAPPED_ON_LIMIT: '  ', CAPPED_HOME: '/tmp/x', PATH: '/bin' })).toEqual({});
  });

  it('records the variable as the source', () => {
    expect(envLayer({ CAPPED_LEDGER_URL: 'postgres://127.0.0.1:1/db' })['ledger.url']!.source).toEqual({ kind: 'env', variable: 'CAPPED_LEDGER_URL' });
  });

  it('names the variable in every error, all at once', () => {
    expect(problems({ CAPPED_MAX_USD: 'abc', CAPPED_ON_LIMIT: 'halt', CAPPED_IDLE: '5', CAPPED_UNATTENDED: 'maybe' })).toEqual([
      'environment variable CAPPED_MAX_USD: expected a positive number of dollars, found "abc".',
      'environment variable CAPPED_ON_LIMIT: expected one of stop, ask, downgrade, pause, found "halt".',
      'environment variable CAPPED_IDLE: expected a duration such as 90s, 10m or 1h, or off, found "5".',
      'environment variable CAPPED_UNATTENDED: expected true or false, found "maybe".',
    ]);
  });

  it('points inside structured values', () => {
    expect(problems({ CAPPED_PRICES: '{"m": {"input": 1, "output": "x"}}' })).toEqual([
      'environment variable CAPPED_PRICES (prices.m.output): expected dollars per million tokens (e.g. 3 or 0.25), found "x".',
    ]);
    expect(problems({ CAPPED_PRICES: 'not json' })).toEqual([
      'environment variable CAPPED_PRICES: expected a mapping of model id → {input, output, cacheRead, cacheWrite} in dollars per million tokens, found "not json".',
    ]);
    expect(problems({ CAPPED_VERIFY_PATTERNS: '["ok", "("]' })).toEqual([
      'environment variable CAPPED_VERIFY_PATTERNS (verifyPatterns[1]): expected a valid regular expression (Invalid regular expression: /(/: Unterminated group), found "(".',
    ]);
    expect(problems({ CAPPED_PRICES: '{"m": {"input": 1, "output": 2, "cacheWrit": 1}}' })).toEqual([
      'environment variable CAPPED_PRICES: unknown key "prices.m.cacheWrit" — did you mean "prices.m.cacheWrite"?',
    ]);
  });

  it('warns about a variable that looks like a mistyped setting', () => {
    expect(envWarnings({ CAPPED_MAX_USDD: '1', CAPPED_HOME: '/x', CAPPED_RUN_ID: 'r', CAPPED_SOMETHING_ELSE: '1', CAPPED_MAX_USD: '1' })).toEqual([
      'environment variable CAPPED_MAX_USDD is not a capped setting — did you mean CAPPED_MAX_USD?',
    ]);
  });
});
