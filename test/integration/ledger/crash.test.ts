import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/ledger/migrations.js';
import { BACKENDS, makeStore, type Store } from './helpers/backends.js';
import { costOfFirst } from '../../helpers/ledger-rows.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const WRITER = path.join(HERE, 'fixtures/ledger-writer.ts');
const REGISTER = path.join(HERE, 'fixtures/register-ts.mjs');

interface Writer {
  child: ChildProcess;
  /** Resolves once the child printed this line. */
  line(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts a real process that opens the ledger and writes COUNT requests of run RUN_ID. */
function startWriter(store: Store, env: Record<string, string>): Writer {
  const child = spawn(process.execPath, ['--import', REGISTER, WRITER], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LEDGER_URL: store.url ?? '', LEDGER_DIR: store.dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...waiting]) {
      if (stdout.split('\n').includes(w.text)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const line = (text: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (stdout.split('\n').includes(text)) return resolve();
      waiting.push({ text, resolve });
      void exited.then((e) => reject(new Error(`writer exited (${e.code ?? e.signal}) before printing "${text}"\n${e.stderr}`)));
    });
  return { child, line, exited };
}

describe.each(BACKENDS)('ledger on %s survives its writers dying', (backend) => {
  let store: Store;
  beforeEach(async () => {
    store = await makeStore(backend);
  });
  afterEach(async () => {
    await store.cleanup();
  });

  async function integrity(): Promise<void> {
    if (backend === 'sqlite') expect(await store.query('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  }

  it('kill -9 mid-run: the run reads as aborted, with every request it wrote', { timeout: 60_000 }, async () => {
    const writer = startWriter(store, { RUN_ID: 'killed', COUNT: '25', THEN: 'hang' });
    await writer.line('ready');
    writer.child.kill('SIGKILL');
    expect((await writer.exited).signal).toBe('SIGKILL');

    await integrity();
    const ledger = await store.open();
    try {
      const run = (await ledger.getRun('killed'))!;
      expect(run.status).toBe('aborted');
      expect(run.requests).toHaveLength(25);
      expect(run.requests.map((r) => r.costNano)).toEqual(Array.from({ length: 25 }, (_, i) => (i + 1) * 1_000_000));
      expect(run.spentNano).toBe(costOfFirst(25));
      expect(run.record.spent.usd).toBe(costOfFirst(25) / 1e9);
      expect(run.record.spent.requests).toBe(25);
      expect(run.endedAt).toBe(run.requests[24]!.at);
      expect((await ledger.listRuns({ since: new Date(0) })).map((r) => [r.id, r.status])).toEqual([['killed', 'aborted']]);
    } finally {
      await ledger.close();
    }
  });

  it('kill -9 while writing as fast as it can: a consistent, usable store', { timeout: 60_000 }, async () => {
    const writer = startWriter(store, { RUN_ID: 'flood', COUNT: 'inf', THEN: 'hang' });
    await writer.line('wrote 40');
    writer.child.kill('SIGKILL');
    await writer.exited;

    await integrity();
    const [run] = await store.query("SELECT request_count, spent_nano FROM runs WHERE id = 'flood'");
    const rows = await store.query("SELECT cost_nano FROM requests WHERE run_id = 'flood' ORDER BY id");
    const n = rows.length;
    expect(n).toBeGreaterThanOrEqual(40);
    // every transaction whole or absent: the run's totals agree with its rows, which are requests 1..n
    expect(Number(run!.request_count)).toBe(n);
    expect(Number(run!.spent_nano)).toBe(costOfFirst(n));
    expect(rows.map((r) => Number(r.cost_nano))).toEqual(Array.from({ length: n }, (_, i) => (i + 1) * 1_000_000));

    const ledger = await store.open();
    try {
      expect((await ledger.getRun('flood'))!.status).toBe('aborted');
      expect((await ledger.windowSpend({ since: new Date(0) })).nano).toBe(costOfFirst(n));
    } finally {
      await ledger.close();
    }
    // and the store takes new runs
    const next = startWriter(store, { RUN_ID: 'after', COUNT: '3', THEN: 'finish' });
    expect((await next.exited).code).toBe(0);
  });

  it('several processes writing at once, on a new store: nothing lost, nothing corrupt', { timeout: 90_000 }, async () => {
    const writers = ['w1', 'w2', 'w3', 'w4'].map((id) => startWriter(store, { RUN_ID: id, COUNT: '40', THEN: 'finish' }));
    const results = await Promise.all(writers.map((w) => w.exited));
    for (const r of results) expect({ code: r.code, done: r.stdout.endsWith('done\n'), stderr: r.stderr }).toEqual({ code: 0, done: true, stderr: '' });

    await integrity();
    expect((await store.query('SELECT version FROM schema_version')).map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
    const ledger = await store.open();
    try {
      const runs = await ledger.listRuns({ since: new Date(0) });
      expect(runs.map((r) => r.id).sort()).toEqual(['w1', 'w2', 'w3', 'w4']);
      for (const r of runs) {
        expect(r.status).toBe('finished');
        expect(r.requestCount).toBe(40);
        expect(r.spentNano).toBe(costOfFirst(40));
        const detail = (await ledger.getRun(r.id))!;
        expect(detail.requests.map((q) => q.costNano)).toEqual(Array.from({ length: 40 }, (_, i) => (i + 1) * 1_000_000));
      }
      expect(await ledger.windowSpend({ since: new Date(0) })).toEqual({ nano: 4 * costOfFirst(40), usd: (4 * costOfFirst(40)) / 1e9, requests: 160 });
    } finally {
      await ledger.close();
    }
  });
});
