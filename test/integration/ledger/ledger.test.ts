import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ledger, RunStart } from '../../../src/ledger/ledger.js';
import { spendHistory } from '../../../src/ledger/history.js';
import { LATEST_VERSION, MIGRATIONS, SchemaTooNewError } from '../../../src/ledger/migrations.js';
import { UNKNOWN_EXIT_CODE } from '../../../src/ledger/rebuild-record.js';
import type { Liveness } from '../../../src/ledger/run-status.js';
import { UnknownRunError } from '../../../src/ledger/sql-ledger.js';
import { BACKENDS, makeStore, type Store } from './helpers/backends.js';
import { at, costOfFirst, finishedRecord, request, runStart, T0 } from '../../helpers/ledger-rows.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(BACKENDS)('ledger on %s', (backend) => {
  let store: Store;
  let ledger: Ledger;
  let now: number;
  const alive = new Set<number>([4242]);
  const liveness: Liveness = { host: 'test-host', isAlive: (pid) => alive.has(pid) };
  const open = (): Promise<Ledger> => store.open({ now: () => new Date(now), liveness });

  beforeEach(async () => {
    now = T0 + HOUR;
    alive.clear();
    alive.add(4242);
    store = await makeStore(backend);
    ledger = await open();
  });
  afterEach(async () => {
    await ledger.close();
    await store.cleanup();
  });

  it('says where it is', () => {
    expect(ledger.backend).toBe(backend);
    expect(ledger.location).toBe(backend === 'sqlite' ? `${store.dataDir}/ledger.db` : store.url);
  });

  it('records a run as it goes and reads it back while it runs', async () => {
    await ledger.startRun(runStart('r1'));
    for (let i = 0; i < 3; i++) await ledger.recordRequest(request('r1', i, i === 1 ? { estimated: true, retry: true, phase: 'verification' } : {}));
    const run = await ledger.getRun('r1');
    expect(run).not.toBeNull();
    const { record, requests, ...summary } = run!;
    expect(summary).toEqual({
      id: 'r1',
      command: ['claude', '--print', 'fix the tests'],
      cwd: '/work/app/src',
      repo: '/work/app',
      host: 'test-host',
      pid: 4242,
      startedAt: at(0),
      endedAt: null,
      status: 'running',
      spentNano: 6_000_000,
      budgetUsd: 1.5,
      requestCount: 3,
      exceededInitialBudget: false,
      hardStop: null,
      breachCause: null,
    });
    expect(requests).toEqual(
      [0, 1, 2].map((i) => {
        const { runId: _, ...rest } = request('r1', i, i === 1 ? { estimated: true, retry: true, phase: 'verification' } : {});
        return rest;
      }),
    );
    expect(record).toEqual({
      id: 'r1',
      command: ['claude', '--print', 'fix the tests'],
      cwd: '/work/app/src',
      startedAt: at(0),
      endedAt: at(3),
      policy: runStart('r1').policy,
      budget: { usd: 1.5, tokens: null, actions: 40, verifyUsd: null },
      spent: { usd: 0.006, inputTokens: 303, outputTokens: 60, cacheReadTokens: 3000, cacheWriteTokens: 500, actions: 0, requests: 3 },
      phases: { implementation: { usd: 0.004 }, verification: { usd: 0.002 } },
      models: { 'claude-sonnet-4-5': { usd: 0.003, requests: 2 }, 'claude-haiku-4-5': { usd: 0.003, requests: 1 } },
      mostExpensive: { usd: 0.003, model: 'claude-haiku-4-5', phase: 'implementation', at: at(3) },
      approvals: [],
      hardStop: null,
      exceededInitialBudget: false,
      breachCause: null,
      estimated: true,
      apiEquivalent: false,
      toolsRemoved: [],
      exitCode: UNKNOWN_EXIT_CODE,
    });
  });

  it('shows a run whose capped is gone as aborted, rebuilt from what it wrote', async () => {
    await ledger.startRun(runStart('r1'));
    for (let i = 0; i < 4; i++) await ledger.recordRequest(request('r1', i));
    await ledger.recordApproval({ runId: 'r1', kind: 'limit', at: at(5), answer: 'approved', from: 1.5, to: 3 });
    await ledger.recordHardStop('r1', 'usd', at(6));
    alive.delete(4242);
    const run = (await ledger.getRun('r1'))!;
    expect(run.status).toBe('aborted');
    expect(run.endedAt).toBe(at(6));
    expect(run.requests).toHaveLength(4);
    expect(run.spentNano).toBe(costOfFirst(4));
    expect(run.exceededInitialBudget).toBe(true);
    expect(run.hardStop).toEqual({ reason: 'usd', at: at(6) });
    expect(run.record.spent.usd).toBe(0.01);
    expect(run.record.spent.requests).toBe(4);
    expect(run.record.approvals).toEqual([{ kind: 'limit', at: at(5), answer: 'approved', from: 1.5, to: 3 }]);
    expect(run.record.hardStop).toEqual({ reason: 'usd', at: at(6) });
    expect(run.record.exceededInitialBudget).toBe(true);
    expect(run.record.endedAt).toBe(at(6));
    expect(run.record.exitCode).toBe(UNKNOWN_EXIT_CODE);
    expect((await ledger.listRuns({ since: new Date(T0) })).map((r) => r.status)).toEqual(['aborted']);
  });

  it('keeps a run on another host running until it has been silent for a day', async () => {
    await ledger.startRun(runStart('far', { host: 'ci-runner-7', pid: 99999 }));
    await ledger.recordRequest(request('far', 0));
    expect((await ledger.getRun('far'))!.status).toBe('running');
    now = Date.parse(at(1)) + DAY - 1;
    expect((await ledger.getRun('far'))!.status).toBe('running');
    now = Date.parse(at(1)) + DAY + 1;
    expect((await ledger.getRun('far'))!.status).toBe('aborted');
  });

  it('stores the final record as the authority on a finished run', async () => {
    const start = runStart('r1');
    await ledger.startRun(start);
    for (let i = 0; i < 3; i++) await ledger.recordRequest(request('r1', i));
    await ledger.recordApproval({ runId: 'r1', kind: 'limit', at: at(4), answer: 'approved', from: 1.5, to: 3 });
    const record = finishedRecord(start, {
      budget: { usd: 3, tokens: null, actions: 40, verifyUsd: null },
      approvals: [
        { kind: 'limit', at: at(4), answer: 'approved', from: 1.5, to: 3 },
        { kind: 'escalation', at: at(5), answer: 'denied', from: 3, to: 5 },
      ],
      hardStop: { reason: 'tokens', at: at(6) },
      exceededInitialBudget: true,
      exitCode: 3,
    });
    await ledger.finishRun(record);
    alive.delete(4242); // finished runs stay finished whatever became of capped
    const run = (await ledger.getRun('r1'))!;
    expect(run.record).toEqual(record);
    expect(run.status).toBe('finished');
    expect(run.endedAt).toBe(record.endedAt);
    expect(run.exceededInitialBudget).toBe(true);
    expect(run.hardStop).toEqual({ reason: 'tokens', at: at(6) });
    expect(run.budgetUsd).toBe(1.5); // the initial envelope, not the raised ceiling
    expect(run.requests).toHaveLength(3);
    expect(await store.query("SELECT kind, answer FROM approvals WHERE run_id = 'r1' ORDER BY id")).toEqual([
      { kind: 'limit', answer: 'approved' },
      { kind: 'escalation', answer: 'denied' },
    ]);
  });

  it('lists runs started since a time, newest first, and by repository', async () => {
    await ledger.startRun(runStart('old', { startedAt: at(-3 * 86_400) }));
    await ledger.startRun(runStart('a', { startedAt: at(10) }));
    await ledger.startRun(runStart('b', { startedAt: at(20), repo: '/work/other', cwd: '/work/other' }));
    await ledger.startRun(runStart('c', { startedAt: at(30) }));
    await ledger.recordRequest(request('a', 0, {}, Date.parse(at(10))));
    expect((await ledger.listRuns({ since: new Date(T0) })).map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect((await ledger.listRuns({ since: new Date(T0 - 7 * DAY) })).map((r) => r.id)).toEqual(['c', 'b', 'a', 'old']);
    expect((await ledger.listRuns({ since: new Date(T0), repo: '/work/app' })).map((r) => r.id)).toEqual(['c', 'a']);
    expect(await ledger.listRuns({ since: new Date(T0), repo: '/nowhere' })).toEqual([]);
    const [, , a] = await ledger.listRuns({ since: new Date(T0) });
    expect(a).toMatchObject({ id: 'a', spentNano: 1_000_000, requestCount: 1, status: 'running' });
  });

  it('reads a repository’s spend for its history: finished runs with requests only, the same history as from listRuns', async () => {
    const finish = async (id: string, overrides: Partial<RunStart> = {}, requests = 3): Promise<void> => {
      const start = runStart(id, overrides);
      await ledger.startRun(start);
      const record = finishedRecord(start);
      await ledger.finishRun({ ...record, spent: { ...record.spent, requests } });
    };
    await finish('a', { startedAt: at(10) });
    await finish('codex', { startedAt: at(20), command: ['/usr/bin/codex', 'exec', 'x'] });
    await finish('c', { startedAt: at(30) });
    await finish('no-requests', { startedAt: at(40) }, 0);
    await finish('elsewhere', { startedAt: at(50), repo: '/work/other', cwd: '/work/other' });
    await finish('old', { startedAt: at(-3 * 86_400) });
    await ledger.startRun(runStart('running', { startedAt: at(60) }));
    await ledger.recordRequest(request('running', 0, {}, Date.parse(at(60))));
    const query = { since: new Date(T0), repo: '/work/app' };
    const spent = await ledger.repoSpend(query);
    expect(spent.map((r) => r.command[0]).sort()).toEqual(['/usr/bin/codex', 'claude', 'claude']);
    expect(spent.every((r) => r.requestCount === 3 && r.spentNano === 6_000_000)).toBe(true);
    // The same runs as listRuns gives, kept to those that finished and made requests.
    const counted = (await ledger.listRuns(query)).filter((r) => r.status === 'finished' && r.requestCount > 0);
    expect(counted.map((r) => r.command[0]).sort()).toEqual(spent.map((r) => r.command[0]).sort());
    for (const agent of ['claude', 'codex']) expect(spendHistory(spent, agent)).toEqual(spendHistory(counted, agent));
    expect(spendHistory(spent, 'claude').agentRuns).toBeNull(); // two claude runs: below HISTORY_MIN_RUNS
    expect(spendHistory(spent, 'claude').repo).toMatchObject({ runs: 3, medianNano: 6_000_000 });
  });

  it('refuses writes about a run it never started, and writes none of them', async () => {
    await expect(ledger.recordRequest(request('ghost', 0))).rejects.toThrow(UnknownRunError);
    await expect(ledger.recordApproval({ runId: 'ghost', kind: 'limit', at: at(1), answer: 'denied', from: 1, to: 2 })).rejects.toThrow(
      'The ledger has no run `ghost`.',
    );
    await expect(ledger.recordHardStop('ghost', 'usd', at(1))).rejects.toThrow(UnknownRunError);
    await expect(ledger.finishRun(finishedRecord(runStart('ghost')))).rejects.toThrow(UnknownRunError);
    expect(await store.query('SELECT COUNT(*) AS n FROM requests')).toEqual([{ n: backend === 'sqlite' ? 0 : '0' }]);
    expect(await store.query('SELECT COUNT(*) AS n FROM approvals')).toEqual([{ n: backend === 'sqlite' ? 0 : '0' }]);
    expect(await ledger.getRun('ghost')).toBeNull();
  });

  it('refuses a second run with the same id', async () => {
    await ledger.startRun(runStart('r1'));
    await expect(ledger.startRun(runStart('r1'))).rejects.toThrow();
  });

  it('counts a run out of its envelope as the engine does: approved raises, downgrades, hard stops', async () => {
    for (const id of ['denied', 'escalated', 'raised', 'downgraded']) await ledger.startRun(runStart(id));
    await ledger.recordApproval({ runId: 'denied', kind: 'limit', at: at(1), answer: 'denied', from: 1.5, to: 3 });
    await ledger.recordApproval({ runId: 'escalated', kind: 'escalation', at: at(1), answer: 'approved', from: 1.5, to: 1.5, model: 'claude-opus-4-5' });
    await ledger.recordApproval({ runId: 'raised', kind: 'limit', at: at(1), answer: 'approved', from: 1.5, to: 3 });
    await ledger.recordApproval({ runId: 'downgraded', kind: 'downgrade', at: at(1), answer: 'automatic', from: 1.5, to: 1.5, model: 'claude-haiku-4-5' });
    const runs = await ledger.listRuns({ since: new Date(T0) });
    expect(Object.fromEntries(runs.map((r) => [r.id, r.exceededInitialBudget]))).toEqual({ denied: false, escalated: false, raised: true, downgraded: true });
    alive.clear();
    const rebuilt = (await ledger.getRun('downgraded'))!.record;
    expect(rebuilt.exceededInitialBudget).toBe(true);
    expect(rebuilt.approvals).toEqual([{ kind: 'downgrade', at: at(1), answer: 'automatic', from: 1.5, to: 1.5, model: 'claude-haiku-4-5' }]);
    expect((await ledger.getRun('denied'))!.record.exceededInitialBudget).toBe(false);
  });

  it('keeps the first hard stop of a run', async () => {
    await ledger.startRun(runStart('r1'));
    await ledger.recordHardStop('r1', 'actions', at(5));
    await ledger.recordHardStop('r1', 'usd', at(9));
    expect((await ledger.getRun('r1'))!.hardStop).toEqual({ reason: 'actions', at: at(5) });
  });

  it('sums spend across all runs since a time, by when each request was made', async () => {
    await ledger.startRun(runStart('a'));
    await ledger.startRun(runStart('b', { host: 'other', pid: 1 }));
    for (let i = 0; i < 5; i++) await ledger.recordRequest(request('a', i));
    for (let i = 0; i < 3; i++) await ledger.recordRequest(request('b', i, { costNano: 123_456_789 }));
    expect(await ledger.windowSpend({ since: new Date(T0) })).toEqual({ nano: 15_000_000 + 3 * 123_456_789, usd: 0.385370367, requests: 8 });
    // requests at +3s, +4s, +5s of run a; +3s of run b
    expect(await ledger.windowSpend({ since: new Date(Date.parse(at(3))) })).toEqual({ nano: 12_000_000 + 123_456_789, usd: 0.135456789, requests: 4 });
    expect(await ledger.windowSpend({ since: new Date(T0 + DAY) })).toEqual({ nano: 0, usd: 0, requests: 0 });
  });

  it('prunes runs whose last activity is older than the cutoff, with their requests and approvals', async () => {
    const old = runStart('old', { startedAt: at(-40 * 86_400) });
    await ledger.startRun(old);
    await ledger.recordRequest(request('old', 0, {}, Date.parse(old.startedAt)));
    await ledger.finishRun(finishedRecord(old, { approvals: [{ kind: 'limit', at: old.startedAt, answer: 'denied', from: 1, to: 2 }] }));
    // started long ago but active yesterday: kept
    const long = runStart('long', { startedAt: at(-40 * 86_400) });
    await ledger.startRun(long);
    await ledger.recordRequest(request('long', 0, { at: at(-86_400) }));
    await ledger.startRun(runStart('new'));
    await ledger.recordRequest(request('new', 0));

    expect(await ledger.prune(new Date(T0 - 30 * DAY))).toBe(1);
    expect((await ledger.listRuns({ since: new Date(0) })).map((r) => r.id).sort()).toEqual(['long', 'new']);
    expect(await ledger.getRun('old')).toBeNull();
    expect((await store.query('SELECT run_id FROM requests ORDER BY run_id')).map((r) => r.run_id)).toEqual(['long', 'new']);
    expect(await store.query('SELECT run_id FROM approvals')).toEqual([]);
    expect(await ledger.prune(new Date(T0 - 30 * DAY))).toBe(0);
  });

  it('prunes when opened, at most once a day, keeping retentionDays of runs', async () => {
    const old = runStart('old', { startedAt: at(-10 * 86_400) });
    await ledger.startRun(old);
    await ledger.finishRun(finishedRecord(old));
    await ledger.close();
    // the first open (in beforeEach) pruned already: within a day, nothing happens
    now = T0 + 2 * HOUR;
    ledger = await store.open({ now: () => new Date(now), liveness, retentionDays: 7 });
    await ledger.close();
    expect((await store.query('SELECT id FROM runs')).map((r) => r.id)).toEqual(['old']);
    // a day later it prunes
    now = T0 + HOUR + DAY;
    ledger = await store.open({ now: () => new Date(now), liveness, retentionDays: 7 });
    expect(await store.query('SELECT id FROM runs')).toEqual([]);
  });

  it('migrates once: opening again, or several at once, keeps the schema and the data', async () => {
    await ledger.startRun(runStart('r1'));
    await ledger.recordRequest(request('r1', 0));
    await ledger.close();
    const again = await Promise.all([open(), open(), open()]);
    for (const l of again) await l.close();
    ledger = await open();
    expect((await store.query('SELECT version FROM schema_version')).map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await ledger.getRun('r1'))!.requests).toHaveLength(1);
  });

  it('refuses a ledger whose schema is newer than this capped', async () => {
    await ledger.close();
    const sql = "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'from the future', 0)";
    if (backend === 'sqlite') {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(`${store.dataDir}/ledger.db`);
      db.exec(sql);
      db.close();
    } else {
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: store.url! });
      await client.connect();
      await client.query(sql);
      await client.end();
    }
    await expect(open()).rejects.toThrow(SchemaTooNewError);
    await expect(open()).rejects.toThrow(`The ledger's schema is version 99, newer than this capped knows (${LATEST_VERSION}). Upgrade capped to use it.`);
    ledger = { close: () => Promise.resolve() } as Ledger;
  });

  it('has no column that could hold a prompt or a key', async () => {
    const columns = async (table: string): Promise<string[]> => {
      const rows =
        backend === 'sqlite'
          ? await store.query(`SELECT name FROM pragma_table_info('${table}')`)
          : await store.query(`SELECT column_name AS name FROM information_schema.columns WHERE table_name = '${table}' AND table_schema = 'public'`);
      return rows.map((r) => String(r.name)).sort();
    };
    expect(await columns('requests')).toEqual(
      [
        'at',
        'cache_read_tokens',
        'cache_write_tokens',
        'cost_nano',
        'estimated',
        'id',
        'input_tokens',
        'model',
        'output_tokens',
        'phase',
        'provider',
        'retry',
        'run_id',
        'request_key',
        'hold_id',
        'reserved',
        'reserved_input_nano',
        'billed_input_nano',
      ].sort(),
    );
    expect(await columns('approvals')).toEqual(['answer', 'at', 'from_nano', 'id', 'kind', 'model', 'run_id', 'to_nano']);
  });

  it('reports the period from its rows (full figures: report.test.ts)', async () => {
    now = T0 + 7 * DAY;
    const a = runStart('a', { startedAt: at(0) });
    const b = runStart('b', { startedAt: at(86_400), repo: '/work/other' });
    const before = runStart('before', { startedAt: at(-3 * 86_400) });
    for (const s of [a, b, before]) await ledger.startRun(s);
    await ledger.recordRequest(request('a', 0, { model: 'm1', costNano: 250_000_000 }));
    await ledger.recordRequest(request('b', 0, { model: 'm2', phase: 'verification', costNano: 750_000_000, at: at(86_401) }));
    await ledger.recordApproval({ runId: 'b', kind: 'limit', at: at(86_402), answer: 'approved', from: 1.5, to: 2 });
    await ledger.recordHardStop('before', 'usd', at(-3 * 86_400 + 5));
    const report = await ledger.report({ since: new Date(T0), now: new Date(now), timeZone: 'UTC' });
    expect(report).toMatchObject({
      spentNano: 1_000_000_000,
      runs: 2,
      breaches: 1,
      breachRate: 0.5,
      previous: { runs: 1, breaches: 1, breachRate: 1, spentNano: 0 },
      breachRateChange: -0.5,
      approvals: { asked: 1, granted: 1, automatic: 0 },
      hardStops: [],
      byModel: [
        { model: 'm2', nano: 750_000_000, requests: 1 },
        { model: 'm1', nano: 250_000_000, requests: 1 },
      ],
      byPhase: [
        { phase: 'implementation', nano: 250_000_000 },
        { phase: 'verification', nano: 750_000_000 },
      ],
      byRepo: [
        { repo: '/work/other', nano: 750_000_000, runs: 1 },
        { repo: '/work/app', nano: 250_000_000, runs: 1 },
      ],
    });
    expect(report.topRuns.map((r) => r.id)).toEqual(['b', 'a']);
    expect(report.perDay.slice(0, 3)).toEqual([
      { day: '2026-03-02', nano: 250_000_000 },
      { day: '2026-03-03', nano: 750_000_000 },
      { day: '2026-03-04', nano: 0 },
    ]);
  });
});

describe('the SQLite ledger file', () => {
  it('is private to its user, in write-ahead-log mode', async () => {
    const store = await makeStore('sqlite');
    const dataDir = path.join(store.dataDir, 'nested');
    const ledger = await store.open({ dataDir });
    try {
      await ledger.startRun(runStart('r1'));
      expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(dataDir, 'ledger.db')).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(dataDir, 'ledger.db-wal')).mode & 0o777).toBe(0o600);
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(path.join(dataDir, 'ledger.db'), { readonly: true });
      expect(db.pragma('journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      db.close();
    } finally {
      await ledger.close();
      await store.cleanup();
    }
  });
});
