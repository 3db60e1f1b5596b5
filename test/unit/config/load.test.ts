import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { flagLayer } from '../../../src/config/flags.js';
import { loadPolicy } from '../../../src/config/load.js';
import { describeSource } from '../../../src/config/sources.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository with a subdirectory, and a CAPPED_HOME holding the user config. */
function setup(budgetrc: string | null, userConfig: object | null) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'capped-load-'));
  dirs.push(root);
  const repo = path.join(root, 'repo');
  const cwd = path.join(repo, 'packages', 'app');
  const home = path.join(root, 'home');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home);
  if (budgetrc !== null) writeFileSync(path.join(repo, '.budgetrc'), budgetrc);
  if (userConfig !== null) writeFileSync(path.join(home, 'config.json'), JSON.stringify(userConfig, null, '\t'));
  return { repo, cwd, home };
}

describe('loadPolicy', () => {
  it('warns about a .budgetrc that is a directory, naming it, and reads the file further up', () => {
    const { repo, cwd, home } = setup('maxUsd: 2.5\n', null);
    const dir = path.join(repo, 'packages', '.budgetrc');
    mkdirSync(dir);
    const loaded = loadPolicy({ cwd, env: { CAPPED_HOME: home } });
    expect(loaded.warnings).toEqual([`${dir} is not a file (a directory?), so it is not read as a policy: make it a YAML or JSON file, or remove it`]);
    expect(loaded.file).toBe(path.join(repo, '.budgetrc'));
    expect(loaded.policy.maxUsd).toBe(2.5);
  });

  it('reads the .budgetrc found walking up, the user config and the environment, under the flags', () => {
    const { repo, cwd, home } = setup('policy: team\nmaxTokens: 300k\n', { maxUsd: 2, idle: '15m' });
    const loaded = loadPolicy({ cwd, env: { CAPPED_HOME: home, CAPPED_MAX_ACTIONS: '12' }, flags: flagLayer({ onLimit: 'stop' }) });
    expect(loaded.file).toBe(path.join(repo, '.budgetrc'));
    expect(loaded.userConfigPath).toBe(path.join(home, 'config.json'));
    expect(loaded.policy).toMatchObject({ policy: 'team', maxUsd: 2, maxTokens: 300_000, maxActions: 12, idle: 900_000, onLimit: 'stop', escalation: 'ask' });
    const sources = Object.fromEntries(Object.entries(loaded.sources).map(([k, s]) => [k, describeSource(s)]));
    expect(sources).toMatchObject({
      policy: `${path.join(repo, '.budgetrc')}:1`,
      maxUsd: 'user config',
      maxTokens: `${path.join(repo, '.budgetrc')}:2`,
      maxActions: 'env CAPPED_MAX_ACTIONS',
      onLimit: 'flag --on-limit',
      escalation: 'preset team',
      unattended: 'built-in',
    });
    expect(loaded.warnings).toEqual([]);
  });

  it('works with no file and no user config', () => {
    const { cwd, home } = setup(null, null);
    const loaded = loadPolicy({ cwd, env: { CAPPED_HOME: home } });
    expect(loaded.file).toBeNull();
    expect(loaded.policy.maxUsd).toBe(1);
  });

  it('reports the problems of every layer together, the file named relative to the cwd or absolute', () => {
    const { repo, cwd, home } = setup('maxUsd: abc\n', { onLimit: 'halt' });
    let error: unknown;
    try {
      loadPolicy({ cwd, env: { CAPPED_HOME: home, CAPPED_IDLE: 'soon' } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'environment variable CAPPED_IDLE: expected a duration such as 90s, 10m or 1h, or off, found "soon".',
      `${path.join(repo, '.budgetrc')}:1:9: maxUsd: expected a positive number of dollars, found "abc".`,
      `${path.join(home, 'config.json')}:2:13: onLimit: expected one of stop, ask, downgrade, pause, found "halt".`,
    ]);
    expect(() => loadPolicy({ cwd: repo, env: { CAPPED_HOME: home } })).toThrow(/^\.budgetrc:1:9: maxUsd/);
  });

  it('reports a hand-broken user config with its position instead of discarding it', () => {
    const { cwd, home } = setup(null, null);
    writeFileSync(path.join(home, 'config.json'), '{\n  "maxUsd": 1,\n  "maxUsd": 2\n}\n');
    expect(() => loadPolicy({ cwd, env: { CAPPED_HOME: home } })).toThrow(
      new ConfigError([`${path.join(home, 'config.json')}:3:3: not valid YAML or JSON: Map keys must be unique.`]),
    );
  });

  it('enforces the ceilings of the file found walking up against flags', () => {
    const { repo, cwd, home } = setup('ceilings:\n  maxUsd: 2\n', null);
    expect(() => loadPolicy({ cwd, env: { CAPPED_HOME: home }, flags: flagLayer({ maxUsd: '5' }) })).toThrow(
      new ConfigError([`--max-usd 5 exceeds the ceiling of $2.00 set in ${path.join(repo, '.budgetrc')} (line 2); lower it or change that file.`]),
    );
  });

  it('passes on warnings about mistyped variables', () => {
    const { cwd, home } = setup(null, null);
    expect(loadPolicy({ cwd, env: { CAPPED_HOME: home, CAPPED_ONLIMIT: 'ask' } }).warnings).toEqual([
      'environment variable CAPPED_ONLIMIT is not a capped setting — did you mean CAPPED_ON_LIMIT?',
    ]);
  });
});
