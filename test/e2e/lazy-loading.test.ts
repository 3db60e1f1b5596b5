import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { withClient } from '../postgres/test-postgres.js';
import { fixture, runCapped, type CappedResult, type RunOptions, ROOT } from './helpers/run-capped.js';
import { tempDirs } from './helpers/temp-dirs.js';

/**
 * What each command loads (issue 11: start-up time is mostly module loading). The built CLI runs
 * with a preload that lists every module it loads; the tests assert which packages are absent and,
 * as controls that the listing sees them, which are present when a command does need them.
 */

const HEAVY = ['ink', 'react', 'pg', 'better-sqlite3', 'chokidar', '@pydantic/genai-prices', 'conf', 'yaml', '@lydell/node-pty', '@peculiar/x509'];

let upstream: FakeAnthropic | null = null;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await upstream?.close();
  upstream = null;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
const tempDir = tempDirs('capped-lazy-');

interface Loaded {
  /** Packages, by their node_modules name. */
  packages: Set<string>;
  /** Node built-ins (`https`, `zlib`, `internal/...`). */
  builtins: Set<string>;
  /** capped's own files, relative to the package root (`dist/bundle/main.js`). */
  own: Set<string>;
  code: number | null;
  stdout: string;
  stderr: string;
  record: CappedResult['record'];
}

/** Runs capped and returns what it loaded, and its result. */
async function packagesLoaded(args: string[], opts: RunOptions = {}): Promise<Loaded> {
  const list = path.join(tempDir(), 'loaded.txt');
  const result = await runCapped(args, {
    ...opts,
    env: { ...opts.env, NODE_OPTIONS: `--import=${fixture('loaded-modules.mjs')}`, CAPPED_TEST_LOADED: list },
  });
  const lines = fs.readFileSync(list, 'utf8').split('\n');
  const packages = new Set(lines.map((line) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1]).filter((p) => p !== undefined));
  const builtins = new Set(lines.filter((line) => line.startsWith('builtin:')).map((line) => line.slice('builtin:'.length)));
  const own = new Set(
    lines
      .map((line) => (line.startsWith('file://') ? new URL(line).pathname : line))
      .filter((file) => file.startsWith(`${ROOT}/`) && !file.includes('/node_modules/') && !file.startsWith(`${ROOT}/test/`))
      .map((file) => path.relative(ROOT, file)),
  );
  return { packages, builtins, own, code: result.code, stdout: result.stdout, stderr: result.stderr, record: result.record };
}

describe('each command loads only what it needs', () => {
  it('--version loads no package at all, and prints the version of package.json', async () => {
    const { version } = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-v']]) {
      const { packages, own, code, stdout } = await packagesLoaded(args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout).toBe(`${version}\n`);
      expect([...packages], args.join(' ')).toEqual([]);
      // Its own small entry, not the run's `core` chunk.
      expect([...own].sort()).toEqual(['bin/capped.js', 'dist/bundle/version.js']);
    }
  });

  it('the sealed launcher (a process of its own) does not load the run’s core chunk', () => {
    const dir = path.join(ROOT, 'dist/bundle');
    const statics = (file: string): string[] =>
      // The bundle is CommonJS: a static import is a top-level `require` (a lazy one is inside a function).
      [...fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/^(?:(?:const|let|var) [\w$]+ = )?require\("\.\/([^"]+)"\);$/gm)].map((m) => m[1]!);
    const reached = new Set<string>();
    const todo = ['launcher.js'];
    while (todo.length > 0) {
      const file = todo.pop()!;
      if (reached.has(file)) continue;
      reached.add(file);
      todo.push(...statics(file));
    }
    // The control: the launcher does import chunks (what it shares with a run).
    expect(reached.size).toBeGreaterThan(1);
    expect([...reached].filter((file) => file.startsWith('core-'))).toEqual([]);
    // And a run's entry does reach core the same way.
    expect(statics('main.js').some((file) => file.startsWith('core-'))).toBe(true);
  });

  it('--help loads commander and no other package', async () => {
    for (const args of [['--help'], ['help', 'run']]) {
      const { packages, code } = await packagesLoaded(args);
      expect(code, args.join(' ')).toBe(0);
      expect([...packages], args.join(' ')).toEqual(['commander']);
    }
  });

  it('a run without a terminal, a .budgetrc or a request: the SQLite ledger only', async () => {
    // `true` ends long before the price data is loaded ahead of a first request (the next test).
    const { packages, code, stderr } = await packagesLoaded(['run', '--max-usd', '1', '--', 'true'], { cwd: tempDir() });
    expect(code, stderr).toBe(0);
    // The control: the listing sees a CommonJS package imported from an ES module.
    expect(packages).toContain('better-sqlite3');
    expect(HEAVY.filter((name) => name !== 'better-sqlite3' && packages.has(name))).toEqual([]);
    // A plain run line is read without commander; a line commander must read still loads it.
    expect(packages).not.toContain('commander');
    // better-sqlite3 is handed its addon's path: the bindings package's search is not loaded.
    expect(packages).not.toContain('bindings');
    const odd = await packagesLoaded(['run', '--max-usd', '1', '--bogus', '--', process.execPath, '-e', '0'], { cwd: tempDir() });
    expect(odd.code).toBe(2);
    expect(odd.packages).toContain('commander');
  });

  it('an agent still starting up after a quarter of a second gets the price data and TLS loaded before its first request', async () => {
    const slow = await packagesLoaded(['run', '--max-usd', '1', '--', process.execPath, '-e', 'setTimeout(() => {}, 1500)'], { cwd: tempDir() });
    expect(slow.code, slow.stderr).toBe(0);
    expect(slow.record!.spent.requests).toBe(0);
    expect(slow.packages).toContain('@pydantic/genai-prices');
    // The default upstreams are https.
    for (const name of ['https', 'tls']) expect(slow.builtins, name).toContain(name);
  });

  it('runs from the bundle: a run loads a few dozen of capped’s files, none from dist/cli', async () => {
    const { own, code, stderr } = await packagesLoaded(['run', '--max-usd', '1', '--', process.execPath, '-e', '0'], { cwd: tempDir() });
    expect(code, stderr).toBe(0);
    expect([...own].filter((file) => file !== 'bin/capped.js' && !file.startsWith('dist/bundle/'))).toEqual([]);
    // Unbundled, the same run loaded 129 modules of dist/. A plain run's modules are one chunk
    // (`core`, scripts/bundle.js), with the bin, the entry, what the sealed launcher shares with
    // a run, the compile cache and what it shares with a run, the bundler's runtime and the
    // chunk with the bundle's one import(): 8 files.
    expect(own.size).toBeLessThanOrEqual(8);
    expect(own).toContain('dist/bundle/main.js');
  });

  it('a run without a terminal never opens stdin as a stream: fd 0 is the agent’s', async () => {
    const watch = (args: string[], opts: RunOptions = {}): Promise<string> => {
      const file = path.join(tempDir(), 'stdin.txt');
      return runCapped(args, { ...opts, env: { ...opts.env, NODE_OPTIONS: `--import=${fixture('stdin-watch.mjs')}`, CAPPED_TEST_STDIN: file } }).then((r) => {
        expect(r.code, r.stderr).toBe(0);
        return fs.readFileSync(file, 'utf8');
      });
    };
    expect(await watch(['run', '--max-usd', '1', '--', process.execPath, '-e', '0'], { cwd: tempDir() })).toBe('untouched');
    // The control: the watch sees a read of process.stdin (a real run reads it at a terminal).
    const control = path.join(tempDir(), 'stdin.txt');
    execFileSync(process.execPath, ['-e', 'process.stdin'], {
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--import=${fixture('stdin-watch.mjs')}`, CAPPED_TEST_STDIN: control },
      stdio: 'ignore',
    });
    expect(fs.readFileSync(control, 'utf8')).toBe('touched');
  });

  it('a run that ends at once loads no TLS and no zlib; a gzip answer loads zlib and is metered to the bill', async () => {
    // The default upstreams are https: a run that sends nothing, and ends before the warm-up (see
    // "an agent still starting up"), must not load TLS for them.
    const idle = await packagesLoaded(['run', '--max-usd', '1', '--', 'true'], { cwd: tempDir() });
    expect(idle.code, idle.stderr).toBe(0);
    // Nor crypto: the run's id and secret come from /dev/urandom.
    for (const name of ['https', 'tls', 'zlib', 'crypto']) expect(idle.builtins, name).not.toContain(name);
    // The control: the listing sees a built-in loaded on demand.
    upstream = await startFakeAnthropic({ gzip: true });
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'hello' }] });
    const busy = await packagesLoaded(['run', '--max-usd', '2', '--', process.execPath, fixture('one-request-agent.mjs')], {
      cwd: tempDir(),
      // Every upstream plain http: neither the request nor the warm-up (which makes every
      // upstream's pool, however long the agent takes) has a reason to load https.
      env: {
        ANTHROPIC_BASE_URL: upstream.url,
        OPENAI_BASE_URL: `${upstream.url}/v1`,
        OPENAI_HOST: upstream.url,
        GOOGLE_GEMINI_BASE_URL: upstream.url,
        FAKE_BODY: body,
      },
    });
    expect(busy.code, busy.stderr).toBe(0);
    expect(upstream.bill.requests).toHaveLength(1);
    // capped asks for identity (to meter a stream event by event); this upstream compresses anyway.
    expect(upstream.bill.received[0]!.headers['accept-encoding']).toBe('identity');
    expect(busy.builtins).toContain('zlib');
    expect(busy.builtins).not.toContain('https');
    // The compressed answer was decoded for its usage: charged exactly what the upstream billed.
    expect(busy.record!.estimated).toBe(false);
    expect(busy.record!.spent.usd).toBeCloseTo(upstream.bill.pico / 1e12, 12);
  });

  it('a .budgetrc loads yaml and chokidar; a priced request loads genai-prices; still no pg, Ink, React or perf_hooks', async () => {
    upstream = await startFakeAnthropic();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, '.budgetrc'), 'maxUsd: 2\n');
    const { packages, builtins, code, stderr } = await packagesLoaded(['run', '--', process.execPath, fixture('one-request-agent.mjs')], {
      cwd,
      env: { ANTHROPIC_BASE_URL: upstream.url },
    });
    expect(code, stderr).toBe(0);
    expect(upstream.bill.requests).toHaveLength(1);
    for (const name of ['yaml', 'chokidar', '@pydantic/genai-prices', 'better-sqlite3']) expect(packages, name).toContain(name);
    for (const name of ['pg', 'ink', 'react', 'conf']) expect(packages, name).not.toContain(name);
    // The request (a stream, its output bound timed) and its connection's pool tell time without
    // the global `performance`, which would load perf_hooks on the first request (1.6 ms).
    expect(builtins).not.toContain('perf_hooks');
  });

  it('a PostgreSQL ledger loads pg and not better-sqlite3', async () => {
    const admin = process.env.CAPPED_TEST_PG_URL;
    if (!admin) throw new Error('CAPPED_TEST_PG_URL is not set (the global setup starts the server)');
    const name = `capped_lazy_${randomBytes(5).toString('hex')}`;
    await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
    cleanups.push(() => withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
    const url = new URL(admin);
    url.pathname = `/${name}`;
    const { packages, code, stderr } = await packagesLoaded(['run', '--max-usd', '1', '--', process.execPath, '-e', '0'], {
      cwd: tempDir(),
      env: { CAPPED_LEDGER_URL: url.toString() },
    });
    expect(code, stderr).toBe(0);
    expect(packages).toContain('pg');
    expect(packages).not.toContain('better-sqlite3');
  });
});
