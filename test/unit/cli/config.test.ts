import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { configGet, configList, configSet, configShow, configUnset, registerConfigCommand, type ConfigCommandDeps } from '../../../src/cli/config.js';
import { EXIT, UsageError } from '../../../src/errors.js';
import { ConfigError } from '../../../src/config/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Fixture {
  deps: ConfigCommandDeps;
  out: () => string;
  err: () => string;
  reset: () => void;
  home: string;
  repo: string;
  store: string;
}

/** A temp repository as the cwd and a temp CAPPED_HOME; output collected into strings. */
function fixture(env: NodeJS.ProcessEnv = {}): Fixture {
  const root = mkdtempSync(path.join(os.tmpdir(), 'capped-cli-config-'));
  dirs.push(root);
  const home = path.join(root, 'home');
  const repo = path.join(root, 'repo');
  mkdirSync(repo);
  let out = '';
  let err = '';
  const deps: ConfigCommandDeps = {
    env: { CAPPED_HOME: home, ...env },
    cwd: repo,
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
  };
  return {
    deps,
    out: () => out,
    err: () => err,
    reset: () => {
      out = '';
      err = '';
    },
    home,
    repo,
    store: path.join(home, 'config.json'),
  };
}

function thrown(fn: () => unknown): ConfigError | UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EXIT.usage);
    return err as UsageError;
  }
  throw new Error('expected a throw');
}

/** The same for `capped config set|unset`, which load conf first. */
async function rejected(promise: Promise<unknown>): Promise<ConfigError | UsageError> {
  try {
    await promise;
  } catch (err) {
    return thrown(() => {
      throw err;
    });
  }
  throw new Error('expected a rejection');
}

describe('capped config set|get|unset|list (user defaults in $CAPPED_HOME/config.json)', () => {
  it('stores a validated value, normalised, and reads it back', async () => {
    const f = fixture();
    await configSet(f.deps, 'maxUsd', '$1.50');
    expect(f.out()).toBe(`Set maxUsd = 1.5 in ${f.store}.\n`);
    expect(JSON.parse(readFileSync(f.store, 'utf8'))).toEqual({ maxUsd: 1.5 });
    f.reset();
    configGet(f.deps, 'maxUsd');
    expect(f.out()).toBe('1.5\n');
  });

  it('keeps file forms: durations as text, lists and nested keys as JSON', async () => {
    const f = fixture();
    await configSet(f.deps, 'idle', '15m');
    await configSet(f.deps, 'restrictedTools', 'WebSearch, WebFetch');
    await configSet(f.deps, 'ledger.url', 'postgres://capped@ledger.example.com/capped');
    expect(JSON.parse(readFileSync(f.store, 'utf8'))).toEqual({
      idle: '15m',
      restrictedTools: ['WebSearch', 'WebFetch'],
      ledger: { url: 'postgres://capped@ledger.example.com/capped' },
    });
    f.reset();
    configList(f.deps);
    expect(f.out()).toBe('idle = 15m\nrestrictedTools = ["WebSearch","WebFetch"]\nledger.url = postgres://capped@ledger.example.com/capped\n');
    f.reset();
    configList(f.deps, { json: true });
    expect(JSON.parse(f.out())).toEqual({
      path: f.store,
      values: { idle: '15m', restrictedTools: ['WebSearch', 'WebFetch'], 'ledger.url': 'postgres://capped@ledger.example.com/capped' },
    });
  });

  it('rejects a bad value with the key, what was expected and what was found, and stores nothing', async () => {
    const f = fixture();
    const err = await rejected(configSet(f.deps, 'maxUsd', 'abc'));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('maxUsd: expected a positive number of dollars, found "abc".');
    expect((await rejected(configSet(f.deps, 'onLimit', 'halt'))).message).toBe('onLimit: expected one of stop, ask, downgrade, pause, found "halt".');
    expect((await rejected(configSet(f.deps, 'prices', '{"m": {"input": 1}}'))).message).toBe(
      'prices.m: expected an output price in dollars per million tokens, found nothing.',
    );
    configList(f.deps);
    expect(f.out()).toBe('');
    expect(f.err()).toBe(`capped: no user defaults in ${f.store}; set one with \`capped config set <key> <value>\`.\n`);
  });

  it('rejects unknown keys with a did-you-mean, groups, and ceilings', async () => {
    const f = fixture();
    expect((await rejected(configSet(f.deps, 'maxUSD', '1'))).message).toBe('unknown key "maxUSD" — did you mean "maxUsd"?');
    expect(thrown(() => configGet(f.deps, 'on_limit')).message).toBe('unknown key "on_limit" — did you mean "onLimit"?');
    expect((await rejected(configUnset(f.deps, 'colour'))).message).toBe('unknown key "colour"; `capped config` lists every key.');
    expect((await rejected(configSet(f.deps, 'ledger', 'x'))).message).toBe('"ledger" holds ledger.url; name one of them.');
    expect((await rejected(configSet(f.deps, 'ceilings.maxUsd', '5'))).message).toBe(
      'ceilings.maxUsd: ceilings can only be set in a .budgetrc, where they bind everyone who runs there.',
    );
  });

  it('unsets a key, dropping an emptied group', async () => {
    const f = fixture();
    await configSet(f.deps, 'ledger.url', 'postgres://capped@ledger.example.com/capped');
    await configSet(f.deps, 'maxUsd', '2');
    f.reset();
    await configUnset(f.deps, 'ledger.url');
    expect(f.out()).toBe(`Removed ledger.url from ${f.store}.\n`);
    expect(JSON.parse(readFileSync(f.store, 'utf8'))).toEqual({ maxUsd: 2 });
    f.reset();
    await configUnset(f.deps, 'ledger.url');
    expect(f.out()).toBe(`ledger.url was not set in ${f.store}.\n`);
  });

  it('prints nothing for an unset key, with a note on stderr', () => {
    const f = fixture();
    configGet(f.deps, 'maxTokens');
    expect(f.out()).toBe('');
    expect(f.err()).toBe(`capped: maxTokens is not set in the user config (${f.store}).\n`);
  });

  it('replaces verifyShare when verifyUsd is set, and the other way round', async () => {
    const f = fixture();
    await configSet(f.deps, 'verifyShare', '0.3');
    f.reset();
    await configSet(f.deps, 'verifyUsd', '0.5');
    expect(f.out()).toBe(`Set verifyUsd = 0.5 in ${f.store} (and removed verifyShare: verifyUsd takes its place).\n`);
    expect(JSON.parse(readFileSync(f.store, 'utf8'))).toEqual({ verifyUsd: 0.5 });
  });

  it('refuses to overwrite a hand-broken user config, naming its position', async () => {
    const f = fixture();
    mkdirSync(f.home, { recursive: true });
    writeFileSync(f.store, '{\n  "maxUsd": "lots"\n}\n');
    expect((await rejected(configSet(f.deps, 'idle', '5m'))).message).toBe(`${f.store}:2:13: maxUsd: expected a positive number of dollars, found "lots".`);
    expect(readFileSync(f.store, 'utf8')).toBe('{\n  "maxUsd": "lots"\n}\n');
  });
});

describe('capped config [show]', () => {
  it('prints every effective value with its source', async () => {
    const f = fixture({ CAPPED_MAX_TOKENS: '300k' });
    writeFileSync(path.join(f.repo, '.budgetrc'), 'policy: team\nidle: 5m\n');
    await configSet(f.deps, 'maxActions', '40');
    f.reset();
    configShow(f.deps);
    const file = path.join(f.repo, '.budgetrc');
    const lines = f.out().split('\n');
    expect(lines[0]).toBe(`Effective policy in ${f.repo} (.budgetrc: ${file}; user config: ${f.store})`);
    const row = (key: string): string[] | undefined =>
      lines
        .find((l) => l.startsWith(`${key} `))
        ?.split(/\s{2,}/)
        .slice(1);
    expect(lines[2]).toMatch(/^KEY\s+VALUE\s+SOURCE$/);
    expect(row('policy')).toEqual(['team', `${file}:1`]);
    expect(row('maxUsd')).toEqual(['$3.00', 'preset team']);
    expect(row('maxTokens')).toEqual(['300000', 'env CAPPED_MAX_TOKENS']);
    expect(row('maxActions')).toEqual(['40', 'user config']);
    expect(row('idle')).toEqual(['5m', `${file}:2`]);
    expect(row('escalationDeny')).toEqual(['send-selected', 'built-in']);
    expect(row('verifyPatterns')).toEqual(['11 patterns', 'built-in']);
    expect(row('ceilings.maxUsd')).toEqual(['none', 'built-in']);
    expect(row('ledger.url')).toEqual(['none', 'built-in']);
  });

  it('prints JSON with values in file form and every source', () => {
    const f = fixture();
    writeFileSync(path.join(f.repo, '.budgetrc'), 'maxUsd: 2\nidle: off\nprices:\n  m: {input: 1, output: 2}\n');
    configShow(f.deps, { json: true });
    const json = JSON.parse(f.out()) as { file: string; userConfig: string; values: Record<string, unknown>; sources: Record<string, string> };
    const file = path.join(f.repo, '.budgetrc');
    expect(json.file).toBe(file);
    expect(json.userConfig).toBe(f.store);
    expect(json.values).toMatchObject({
      maxUsd: 2,
      idle: 'off',
      maxTokens: null,
      ledger: { url: null },
      ceilings: { maxUsd: null, maxTokens: null, maxActions: null },
    });
    expect(json.values.prices).toEqual({ m: { input: 1, output: 2, cacheRead: 1, cacheWrite: 1 } });
    expect(json.sources).toMatchObject({ maxUsd: `${file}:1`, idle: `${file}:2`, 'prices.m': `${file}:3`, onLimit: 'built-in' });
  });

  it('stops with the exact error when the .budgetrc is broken', () => {
    const f = fixture();
    writeFileSync(path.join(f.repo, '.budgetrc'), 'maxUsd: 1\nmaxUSD: 2\n');
    expect(thrown(() => configShow(f.deps)).message).toBe('.budgetrc:2:1: unknown key "maxUSD" — did you mean "maxUsd"?');
  });
});

describe('registerConfigCommand', () => {
  async function run(f: Fixture, argv: string[]): Promise<void> {
    const program = new Command('capped').exitOverride().configureOutput({ writeOut: f.deps.stdout, writeErr: f.deps.stderr });
    registerConfigCommand(program, f.deps);
    await program.parseAsync(argv, { from: 'user' });
  }

  it('wires show (the default), get, set, unset and list', async () => {
    const f = fixture();
    await run(f, ['config', 'set', 'maxUsd', '2.5']);
    await run(f, ['config', 'get', 'maxUsd']);
    expect(f.out()).toBe(`Set maxUsd = 2.5 in ${f.store}.\n2.5\n`);
    f.reset();
    await run(f, ['config', '--json']);
    expect((JSON.parse(f.out()) as { sources: Record<string, string> }).sources.maxUsd).toBe('user config');
    f.reset();
    await run(f, ['config']);
    expect(f.out()).toMatch(/^maxUsd\s+\$2\.50\s+user config$/m);
    f.reset();
    await run(f, ['config', 'list']);
    expect(f.out()).toBe('maxUsd = 2.5\n');
    await run(f, ['config', 'unset', 'maxUsd']);
    expect(JSON.parse(readFileSync(f.store, 'utf8'))).toEqual({});
  });

  it('rejects an unknown subcommand with a did-you-mean', async () => {
    const f = fixture();
    await expect(run(f, ['config', 'lst'])).rejects.toThrow(
      new UsageError('Unknown config command `lst` — did you mean `capped config list`? The commands are show, get, set, unset, list.'),
    );
  });

  it('passes validation errors through as exit-2 errors', async () => {
    const f = fixture();
    await expect(run(f, ['config', 'set', 'maxUsd', 'abc'])).rejects.toThrow(new ConfigError(['maxUsd: expected a positive number of dollars, found "abc".']));
  });
});
