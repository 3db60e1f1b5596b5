import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { enginePolicyOf } from '../../../src/cli/run-policy.js';
import { envLayer } from '../../../src/config/env.js';
import { ConfigError } from '../../../src/config/errors.js';
import { addPolicyOptions, flagLayer } from '../../../src/config/flags.js';
import { parsePolicyText } from '../../../src/config/policy-file.js';
import { resolvePolicy } from '../../../src/config/resolve.js';

const parse = (text: string) => parsePolicyText(text, { path: '/repo/.budgetrc', display: '.budgetrc', origin: 'file' });
const problems = (text: string): readonly string[] => {
  try {
    parse(text);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};
const flags = async (args: string[]) => {
  const command = addPolicyOptions(new Command('run').exitOverride());
  await command.parseAsync(args, { from: 'user' });
  return flagLayer(command.opts());
};

describe('the loop and scope keys', () => {
  it('default to a loop of 3 that asks, and no scope limit', () => {
    const { policy } = resolvePolicy({});
    expect(policy.loop).toEqual({ attempts: 3, onLoop: 'ask' });
    expect(policy.scope).toEqual({ files: null, onScope: 'ask' });
  });

  it('are read from a .budgetrc group, and the presets set the scope', () => {
    const { policy } = resolvePolicy({ file: parse('loop:\n  attempts: 5\n  onLoop: stop\nscope:\n  files: 120\n') });
    expect(policy.loop).toEqual({ attempts: 5, onLoop: 'stop' });
    expect(policy.scope).toEqual({ files: 120, onScope: 'ask' });
    expect(resolvePolicy({ file: parse('policy: team\n') }).policy.scope.files).toBe(200);
    expect(resolvePolicy({ file: parse('policy: strict\n') }).policy.scope).toEqual({ files: 80, onScope: 'stop' });
    expect(resolvePolicy({ file: parse('policy: strict\nscope:\n  files: off\n') }).policy.scope.files).toBeNull();
  });

  it('say exactly what is wrong in a file', () => {
    expect(problems('loop:\n  attempts: 1\n  onLoop: maybe\nscope: 40\n')).toEqual([
      '.budgetrc:2:13: loop.attempts: expected a whole number of attempts, at least 2 (e.g. 3), found 1.',
      '.budgetrc:3:11: loop.onLoop: expected one of ask, stop, off, found "maybe".',
      '.budgetrc:4:8: scope: expected a mapping of files, onScope, found 40.',
    ]);
    expect(problems('loop:\n  atempts: 4\n')[0]).toMatch(/unknown key "loop\.atempts" — did you mean "loop\.attempts"\?/);
  });

  it('take flags and variables, with the flag named in the error', async () => {
    const layer = await flags(['--loop-attempts', '4', '--on-loop', 'off', '--scope-files', '50', '--on-scope', 'stop']);
    expect(resolvePolicy({ flags: layer }).policy).toMatchObject({ loop: { attempts: 4, onLoop: 'off' }, scope: { files: 50, onScope: 'stop' } });
    await expect(flags(['--on-loop', 'never'])).rejects.toThrow(new UsageError('Expected `--on-loop` to be one of ask, stop, off, got `never`.'));
    await expect(flags(['--loop-attempts', 'x'])).rejects.toThrow('Expected `--loop-attempts` to be a whole number of attempts, at least 2 (e.g. 3), got `x`.');
    await expect(flags(['--scope-files', '0'])).rejects.toThrow(
      'Expected `--scope-files` to be a whole number of files, at least 1 (e.g. 200), or off, got `0`.',
    );
    expect(envLayer({ CAPPED_SCOPE_FILES: '30' })['scope.files']!.value).toBe(30);
  });

  it('ask only where someone can answer: without a terminal they stop', () => {
    const { policy } = resolvePolicy({ file: parse('scope:\n  files: 10\n') });
    expect(enginePolicyOf(policy, true).engine).toMatchObject({ loop: { attempts: 3, onLoop: 'ask' }, scope: { files: 10, onScope: 'ask' } });
    expect(enginePolicyOf(policy, false).engine).toMatchObject({ loop: { attempts: 3, onLoop: 'stop' }, scope: { files: 10, onScope: 'stop' } });
  });
});
