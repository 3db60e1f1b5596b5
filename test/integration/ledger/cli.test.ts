import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FatalError } from '../../../src/errors.js';
import { registerReportCommand } from '../../../src/cli/report.js';
import { registerRunsCommand, type LedgerCommandDeps } from '../../../src/cli/runs.js';
import type { ReportJson as Report } from '../../../src/ledger/report-json.js';
import type { RunDetailJson as RunDetail, RunSummaryJson as RunSummary } from '../../../src/ledger/runs-json.js';
import { BACKENDS, makeStore, type Store } from './helpers/backends.js';
import { at, finishedRecord, request, runStart, T0 } from '../../helpers/ledger-rows.js';
import { RUN_SUMMARY_JSON_KEYS } from '../../helpers/runs-json-keys.js';

const NOW = new Date(T0 + 3_600_000);
const DEAD_PID = spawnSync(process.execPath, ['-e', '0']).pid;

interface Result {
  code: number;
  out: string;
  err: string;
}

/** A program with only the ledger commands, run the way `main` runs one. */
async function capped(argv: string[], deps: Omit<LedgerCommandDeps, 'stdout'>): Promise<Result> {
  let out = '';
  let err = '';
  const program = new Command('capped')
    .exitOverride()
    .configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t), getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
  registerRunsCommand(program, { ...deps, stdout: (t) => (out += t) });
  registerReportCommand(program, { ...deps, stdout: (t) => (out += t) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2, out, err };
    if (e instanceof FatalError) return { code: e.exitCode, out, err: `${err}capped: ${e.message}\n` };
    throw e;
  }
}

describe.each(BACKENDS)('capped runs and capped report on %s', (backend) => {
  let store: Store;
  let repo: string;
  let deps: Omit<LedgerCommandDeps, 'stdout'>;
  /** How the ledger is selected for this backend: CAPPED_HOME, or --ledger. */
  let select: string[];

  beforeEach(async () => {
    store = await makeStore(backend);
    repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-cli-repo-')));
    fs.mkdirSync(path.join(repo, '.git'));
    fs.mkdirSync(path.join(repo, 'src'));
    deps = { env: { CAPPED_HOME: store.dataDir }, cwd: path.join(repo, 'src'), now: () => NOW, timeZone: 'UTC' };
    select = store.url === null ? [] : ['--ledger', store.url];

    const ledger = await store.open({ now: () => NOW });
    const done = runStart('20260302-090000-aaaaaa', { repo, cwd: path.join(repo, 'src') });
    await ledger.startRun(done);
    for (let i = 0; i < 3; i++) await ledger.recordRequest(request(done.id, i));
    await ledger.finishRun(finishedRecord(done));
    const killed = runStart('20260302-091000-bbbbbb', { startedAt: at(600), host: os.hostname(), pid: DEAD_PID, repo: '/elsewhere', cwd: '/elsewhere' });
    await ledger.startRun(killed);
    for (let i = 0; i < 2; i++) await ledger.recordRequest(request(killed.id, i, { costNano: 500_000_000 }, Date.parse(killed.startedAt)));
    await ledger.recordHardStop(killed.id, 'usd', at(610));
    const old = runStart('20260220-090000-cccccc', { startedAt: at(-10 * 86_400), repo });
    await ledger.startRun(old);
    await ledger.finishRun(finishedRecord(old));
    await ledger.close();
  });
  afterEach(async () => {
    await store.cleanup();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('lists the last 7 days of runs, newest first', async () => {
    const r = await capped(['runs', ...select], deps);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^STARTED +RUN +STATUS +SPENT +BUDGET +REQUESTS +NOTE +REPO +COMMAND$/);
    expect(lines[1]).toMatch(/^2026-03-02 09:10 +20260302-091000-bbbbbb +aborted +\$1\.00 +\$1\.50 +2 +hard stop: usd +\/elsewhere +claude/);
    expect(lines[2]).toMatch(/^2026-03-02 09:00 +20260302-090000-aaaaaa +finished +\$0\.006000 +\$1\.50 +3 +/);
    expect(r.out).toContain('\n2 runs since 2026-02-23 10:00 · $1.0060 spent · 1 exceeded its initial budget\n');
  });

  it('prints stable JSON, and takes --since and --repo', async () => {
    const all = JSON.parse((await capped(['runs', '--json', '--since', '30d', ...select], deps)).out) as { since: string; repo: null; runs: RunSummary[] };
    expect(all.since).toBe('2026-01-31T10:00:00.000Z');
    expect(all.repo).toBeNull();
    expect(all.runs.map((r) => r.id)).toEqual(['20260302-091000-bbbbbb', '20260302-090000-aaaaaa', '20260220-090000-cccccc']);
    expect(Object.keys(all.runs[0]!)).toEqual([...RUN_SUMMARY_JSON_KEYS]);

    const recent = JSON.parse((await capped(['runs', '--json', '--since', '55m', ...select], deps)).out) as { runs: RunSummary[] };
    expect(recent.runs.map((r) => r.id)).toEqual(['20260302-091000-bbbbbb']);

    // --repo alone: the repository around the current directory
    const here = JSON.parse((await capped(['runs', '--repo', '--json', '--since', '30d', ...select], deps)).out) as { repo: string; runs: RunSummary[] };
    expect(here.repo).toBe(repo);
    expect(here.runs.map((r) => r.id)).toEqual(['20260302-090000-aaaaaa', '20260220-090000-cccccc']);
    const there = JSON.parse((await capped(['runs', '--repo', '/elsewhere', '--json', ...select], deps)).out) as { runs: RunSummary[] };
    expect(there.runs.map((r) => r.id)).toEqual(['20260302-091000-bbbbbb']);
    expect((await capped(['runs', '--repo', '/nowhere', ...select], deps)).out).toBe('No runs in /nowhere since 2026-02-23 10:00.\n');
  });

  it('shows one run, with --json before or after the id', async () => {
    const text = await capped(['runs', 'show', '20260302-091000-bbbbbb', ...select], deps);
    expect(text.code).toBe(0);
    expect(text.out).toContain('run 20260302-091000-bbbbbb · aborted\n');
    expect(text.out).toContain('  hard stop  usd cap at 2026-03-02 09:10:10\n');
    expect(text.out).toContain('  exit code  unknown (capped did not finish the run)\n');
    for (const argv of [
      ['runs', 'show', '20260302-090000-aaaaaa', '--json'],
      ['runs', '--json', 'show', '20260302-090000-aaaaaa'],
    ]) {
      const r = await capped([...argv, ...select], deps);
      const run = JSON.parse(r.out) as RunDetail;
      expect(run.record).toEqual(finishedRecord(runStart('20260302-090000-aaaaaa', { repo, cwd: path.join(repo, 'src') })));
      expect(run.requests).toHaveLength(3);
      expect(run.status).toBe('finished');
    }
  });

  it('says clearly when there is no such run, and exits 2', async () => {
    const r = await capped(['runs', 'show', 'nope', ...select], deps);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^capped: No run `nope` in the ledger \(.+\)\. `capped runs --since 30d` lists the recent ones\.\n$/);
  });

  it('reports the period as text and as JSON', async () => {
    const text = await capped(['report', ...select], deps);
    expect(text.code).toBe(0);
    expect(text.out.split('\n')[0]).toBe('capped report · last 7 days · 2026-02-23 10:00 → 2026-03-02 10:00');
    expect(text.out).toContain('  spent        $1.0060 in 2 runs (previous 7 days: $0.006000 in 1 run)\n');
    expect(text.out).toContain('  breach rate  50.0%: 1 of 2 runs exceeded their initial budget · ▲ up 50.0 points from 0.0%\n');
    const report = JSON.parse((await capped(['report', '--json', '--since', '24h', ...select], deps)).out) as Report;
    expect(report).toMatchObject({ spentUsd: 1.006, runs: 2, breaches: 1, breachRate: 0.5, hardStops: [{ reason: 'usd', runs: 1 }] });
  });

  it('refuses a --since that is not a duration', async () => {
    for (const argv of [
      ['runs', '--since', 'x'],
      ['report', '--since', 'last week'],
    ]) {
      const r = await capped(argv, deps);
      expect(r).toEqual({ code: 2, out: '', err: `capped: Expected \`--since\` to be a duration like 7d, 24h or 30m, got \`${argv[2]}\`.\n` });
    }
  });
});

describe('choosing the ledger', () => {
  let store: Store;
  beforeEach(async () => {
    store = await makeStore('postgres');
    const ledger = await store.open();
    await ledger.startRun(runStart('on-the-server', { startedAt: new Date().toISOString() }));
    await ledger.close();
  });
  afterEach(() => store.cleanup());

  const ids = (r: Result): string[] => (JSON.parse(r.out) as { runs: RunSummary[] }).runs.map((x) => x.id);
  const base = (): Omit<LedgerCommandDeps, 'stdout'> => ({ env: { CAPPED_HOME: store.dataDir }, cwd: '/', now: () => new Date() });

  it('reads CAPPED_LEDGER_URL, then the config, and the flag before both', async () => {
    expect(ids(await capped(['runs', '--json'], base()))).toEqual([]);
    expect(ids(await capped(['runs', '--json'], { ...base(), env: { CAPPED_HOME: store.dataDir, CAPPED_LEDGER_URL: store.url! } }))).toEqual(['on-the-server']);
    expect(ids(await capped(['runs', '--json'], { ...base(), ledgerSettings: () => ({ url: store.url }) }))).toEqual(['on-the-server']);
    const wrong = { ...base(), env: { CAPPED_HOME: store.dataDir, CAPPED_LEDGER_URL: 'postgres://nobody@127.0.0.1:1/none' } };
    expect(ids(await capped(['runs', '--json', '--ledger', store.url!], wrong))).toEqual(['on-the-server']);
  });

  it('exits 2 with a clear message for a bad or unreachable ledger', async () => {
    expect(await capped(['report', '--ledger', 'mysql://x/y'], base())).toEqual({
      code: 2,
      out: '',
      err: 'capped: Expected `--ledger` to be a PostgreSQL URL like postgres://user@host/db, got `mysql://x/y`.\n',
    });
    const r = await capped(['runs', '--ledger', 'postgres://me:pw@127.0.0.1:1/none'], base());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^capped: Could not open the ledger at postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/none: /);
  });
});

describe('help', () => {
  it('documents the options', async () => {
    const r = await capped(['runs', '--help'], { env: {}, cwd: '/', now: () => NOW });
    expect(r.out).toBe(
      [
        'Usage: capped runs [options] [command]',
        '',
        'List the runs recorded in the ledger, newest first: spend, budget, status, and',
        'whether each broke its initial budget.',
        '',
        'Options:',
        '  --since <span>       runs started within this span back from now: 7d, 24h, 30m',
        '                       (default: "7d")',
        '  --repo [path]        only runs in this repository (default: the one around the',
        '                       current directory)',
        '  --json               print JSON',
        '  --ledger <url>       a team ledger on PostgreSQL (default: CAPPED_LEDGER_URL,',
        '                       then config ledger.url, else the local one)',
        '  -h, --help           display help for command',
        '',
        'Commands:',
        '  show [options] <id>  show one run, its requests and approvals',
        '',
      ].join('\n'),
    );
  });
});
