import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../../src/ledger/ledger.js';
import { withClient } from '../../postgres/test-postgres.js';
import { at, finishedRecord, runStart } from '../../helpers/ledger-rows.js';
import { BACKENDS, makeStore, type Store } from './helpers/backends.js';

/** Runs statements that change the schema, which the store's read-only query cannot. */
async function exec(store: Store, statements: readonly string[]): Promise<void> {
  if (store.url !== null) {
    await withClient(store.url, async (c) => {
      for (const sql of statements) await c.query(sql);
    });
    return;
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(store.dataDir, 'ledger.db'));
  try {
    for (const sql of statements) db.exec(sql);
  } finally {
    db.close();
  }
}

const INSERT = 'INSERT INTO approvals (id, run_id, kind, at, answer, from_usd, to_usd, model) VALUES';

describe.each(BACKENDS)('money in nano-dollars on %s: approvals (migration 6) and the run total', (backend) => {
  let store: Store;
  let ledger: Ledger | null = null;
  beforeEach(async () => {
    store = await makeStore(backend);
  });
  afterEach(async () => {
    await ledger?.close();
    ledger = null;
    await store.cleanup();
  });

  it('stores an approval as whole nano-dollars, as the engine gave them', async () => {
    ledger = await store.open();
    await ledger.startRun(runStart('r1'));
    await ledger.recordApproval({ runId: 'r1', kind: 'limit', at: at(5), answer: 'approved', from: 0.3, to: 0.7, fromNano: 300_000_001, toNano: 700_000_000 });
    await ledger.recordApproval({ runId: 'r1', kind: 'limit', at: at(6), answer: 'approved', from: 0.7, to: 1.1 });
    const rows = await store.query('SELECT from_nano, to_nano FROM approvals ORDER BY id');
    expect(rows.map((r) => [Number(r.from_nano), Number(r.to_nano)])).toEqual([
      [300_000_001, 700_000_000],
      [700_000_000, 1_100_000_000],
    ]);
    expect((await ledger.getRun('r1'))!.record.approvals.map((a) => [a.from, a.to])).toEqual([
      [0.300000001, 0.7],
      [0.7, 1.1],
    ]);
  });

  it("stores the engine's spent nano-dollars at finish, not the record's dollars converted back", async () => {
    ledger = await store.open();
    const start = runStart('r1');
    await ledger.startRun(start);
    const record = finishedRecord(start);
    await ledger.finishRun({ ...record, spent: { ...record.spent, usd: 0.1 } }, 100_000_001);
    expect((await store.query("SELECT spent_nano FROM runs WHERE id = 'r1'")).map((r) => Number(r.spent_nano))).toEqual([100_000_001]);
  });

  it('converts approvals a version-5 ledger stored in dollars', async () => {
    ledger = await store.open();
    await ledger.startRun(runStart('r1'));
    await ledger.close();
    ledger = null;
    // The ledger as capped before version 6 left it: amounts in DOUBLE PRECISION dollars.
    await exec(store, [
      'DROP TABLE approvals',
      'CREATE TABLE approvals (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL, answer TEXT NOT NULL, ' +
        'from_usd DOUBLE PRECISION NOT NULL, to_usd DOUBLE PRECISION NOT NULL, model TEXT)',
      `${INSERT} (1, 'r1', 'limit', ${Date.parse(at(5))}, 'approved', 0.1, ${0.1 + 0.2}, NULL)`,
      `${INSERT} (2, 'r1', 'escalation', ${Date.parse(at(6))}, 'denied', 999999.999999999, 1000000, 'opus')`,
      'DELETE FROM schema_version WHERE version > 5',
    ]);
    ledger = await store.open();
    const rows = await store.query('SELECT from_nano, to_nano FROM approvals ORDER BY id');
    expect(rows.map((r) => [Number(r.from_nano), Number(r.to_nano)])).toEqual([
      [100_000_000, 300_000_000],
      [999_999_999_999_999, 1_000_000_000_000_000],
    ]);
    const approvals = (await ledger.getRun('r1'))!.record.approvals;
    expect(approvals.map((a) => [a.kind, a.from, a.to, a.model ?? null])).toEqual([
      ['limit', 0.1, 0.3, null],
      ['escalation', 999999.999999999, 1_000_000, 'opus'],
    ]);
  });
});
