import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { addPolicyOptions, flagLayer, POLICY_FLAGS } from '../../../src/config/flags.js';

const values = (raw: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(flagLayer(raw)).map(([key, entry]) => [key, entry.value]));

describe('policy flags', () => {
  it('derives each flag from its key', () => {
    expect(POLICY_FLAGS.map((f) => f.option)).toEqual([
      '--policy <preset>',
      '--max-usd <dollars>',
      '--max-tokens <n>',
      '--max-actions <n>',
      '--on-limit <action>',
      '--downgrade-to <model>',
      '--model <model>',
      '--escalation <mode>',
      '--escalation-deny <how>',
      '--reserve <mode>',
      '--idle <duration>',
      '--unattended',
      '--keep-args',
      '--verify-usd <dollars>',
      '--verify-share <share>',
      '--restricted-tools <names>',
      '--ledger <url>',
      '--loop-attempts <n>',
      '--on-loop <action>',
      '--scope-files <n>',
      '--on-scope <action>',
      '--sealed',
    ]);
  });

  it('parses commander output into a layer with the flag as each source', async () => {
    const command = addPolicyOptions(new Command('run').exitOverride());
    await command.parseAsync(['--max-usd', '2', '--on-limit', 'ask', '--no-unattended', '--restricted-tools', 'a,b', '--ledger', 'postgres://x.example/db'], {
      from: 'user',
    });
    const layer = flagLayer(command.opts());
    expect(Object.fromEntries(Object.entries(layer).map(([key, entry]) => [key, [entry.value, entry.source]]))).toEqual({
      maxUsd: [2, { kind: 'flag', flag: '--max-usd' }],
      onLimit: ['ask', { kind: 'flag', flag: '--on-limit' }],
      unattended: [false, { kind: 'flag', flag: '--no-unattended' }],
      restrictedTools: [['a', 'b'], { kind: 'flag', flag: '--restricted-tools' }],
      'ledger.url': ['postgres://x.example/db', { kind: 'flag', flag: '--ledger' }],
    });
  });

  it('leaves out flags that were not given', async () => {
    const command = addPolicyOptions(new Command('run').exitOverride());
    await command.parseAsync([], { from: 'user' });
    expect(flagLayer(command.opts())).toEqual({});
    expect(values({ unattended: true })).toEqual({ unattended: true });
  });

  it('keeps the dollar, token and count flags’ exact messages', () => {
    expect(() => flagLayer({ maxUsd: 'abc' })).toThrow(
      new UsageError('Expected `--max-usd` to be a positive number of dollars (e.g. --max-usd 1.50), got `abc`.'),
    );
    expect(() => flagLayer({ verifyUsd: 'x' })).toThrow('Expected `--verify-usd` to be a positive number of dollars (e.g. --verify-usd 1.50), got `x`.');
    expect(() => flagLayer({ maxTokens: 'lots' })).toThrow(
      'Expected `--max-tokens` to be a positive whole number of tokens (e.g. --max-tokens 200000 or 200k), got `lots`.',
    );
    expect(() => flagLayer({ maxActions: '-1' })).toThrow('Expected `--max-actions` to be a whole number (e.g. --max-actions 50), got `-1`.');
  });

  it('gives the other flags the same shape', () => {
    expect(() => flagLayer({ onLimit: 'halt' })).toThrow(new UsageError('Expected `--on-limit` to be one of stop, ask, downgrade, pause, got `halt`.'));
    expect(() => flagLayer({ idle: '5' })).toThrow('Expected `--idle` to be a duration such as 90s, 10m or 1h, or off, got `5`.');
    expect(() => flagLayer({ policy: 'lax' })).toThrow('Expected `--policy` to be one of individual, team, strict, got `lax`.');
    expect(() => flagLayer({ verifyShare: '2' })).toThrow('Expected `--verify-share` to be a share greater than 0 and at most 1 (e.g. 0.4 or 40%), got `2`.');
  });
});
