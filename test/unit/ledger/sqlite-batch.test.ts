import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CHECKPOINT_IDLE_MS,
  CHECKPOINT_MAX_COMMITS,
  MAX_SYNC_ROUNDS,
  openSqliteDriver,
  PAGE_CACHE_KIB,
  RESYNC_AFTER_COMMITS,
  syncFileOffLoop,
  type SyncFile,
} from '../../../src/ledger/sqlite-ledger.js';
import type { Driver } from '../../../src/ledger/driver.js';

// The SQLite driver commits the writes of one event-loop turn in one transaction: nothing is on
// disk before the turn ends, everything is once a write's promise resolves, and a write that
// fails undoes only itself.

let dir = '';
let driver: Driver | null = null;
afterEach(async () => {
  await driver?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(syncWal?: SyncFile): Promise<{ driver: Driver; file: string }> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-batch-'));
  const file = path.join(dir, 'ledger.db');
  driver = openSqliteDriver(file, syncWal);
  await driver.write([{ sql: 'CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)', params: [] }]);
  return { driver, file };
}

/** What another connection (another capped, or `capped runs`) sees in the file. */
function seen(file: string): string[] {
  const other = new Database(file, { readonly: true });
  try {
    return (other.prepare('SELECT k FROM t ORDER BY k').all() as { k: string }[]).map((r) => r.k);
  } finally {
    other.close();
  }
}

describe('the SQLite driver', () => {
  it('commits the writes of one turn together, before their promises resolve', async () => {
    const { driver, file } = await open();
    const a = driver.write([{ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: ['a', 1] }]);
    const b = driver.write([{ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: ['b', 2] }]);
    expect(seen(file)).toEqual([]);
    expect(await a).toEqual([1]);
    expect(seen(file)).toEqual(['a', 'b']);
    expect(await b).toEqual([1]);
  });

  it('a failing write in the batch undoes only itself', async () => {
    const { driver, file } = await open();
    const good = driver.write([{ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: ['a', 1] }]);
    const bad = driver.write([
      { sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: ['b', 2] },
      { sql: 'UPDATE t SET v = 3 WHERE k = ?', params: ['missing'], orElse: () => new Error('no such row') },
    ]);
    const after = driver.write([{ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: ['c', 3] }]);
    await expect(bad).rejects.toThrow('no such row');
    await good;
    await after;
    expect(seen(file)).toEqual(['a', 'c']);
  });

  it('a failing write alone in its turn undoes all of itself, and the next turn writes', async () => {
    const { driver, file } = await open();
    const bad = driver.write([
      { sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: ['b', 2] },
      { sql: 'UPDATE t SET v = 3 WHERE k = ?', params: ['missing'], orElse: () => new Error('no such row') },
    ]);
    await expect(bad).rejects.toThrow('no such row');
    expect(seen(file)).toEqual([]);
    expect(await driver.write([{ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: ['c', 3] }])).toEqual([1]);
    expect(seen(file)).toEqual(['c']);
  });

  it('a read sees the writes queued before it', async () => {
    const { driver } = await open();
    void driver.write([{ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: ['a', 1] }]);
    expect(await driver.all('SELECT k FROM t')).toEqual([{ k: 'a' }]);
  });

  // SQLite's own checkpoint (every 1000 WAL pages) is off: it ran inside a commit on the proxy's
  // event loop. The WAL frames another connection finds (wal_checkpoint's `log`) show when the
  // driver copied the WAL into the database and started it over.
  const walFrames = (file: string): number => {
    const other = new Database(file);
    try {
      return (other.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
    } finally {
      other.close();
    }
  };
  // Only a checkpoint writes pages into the database file itself (a commit goes to the WAL): its
  // size shows the driver's checkpoints without checkpointing, as another connection would.
  const dbBytes = (file: string): number => fs.statSync(file).size;
  const bigRows = async (d: Driver, from: number, n: number): Promise<void> => {
    const big = 'x'.repeat(10_000);
    for (let i = from; i < from + n; i++) await d.write([{ sql: 'INSERT INTO t (k, v) VALUES (?, ?)', params: [`${i}${big}`, i] }]);
  };
  it('checkpoints once writes pause, not inside a commit', async () => {
    const { driver, file } = await open();
    // Commits of 10 KB rows (several pages each), under CHECKPOINT_MAX_COMMITS of them but past
    // the 1000 pages SQLite would have checkpointed at.
    await bigRows(driver, 0, CHECKPOINT_MAX_COMMITS - 10);
    expect(walFrames(file)).toBeGreaterThan(1000);
  });

  /** A WAL sync the test finishes by hand. */
  const heldSync = () => {
    const held = { files: [] as string[], finish: [] as (() => void)[] };
    const sync: SyncFile = (file, done) => {
      held.files.push(file);
      held.finish.push(done);
    };
    return { held, sync };
  };

  it('after CHECKPOINT_MAX_COMMITS commits, syncs the WAL off the event loop first and checkpoints only once that is done', async () => {
    const { held, sync } = heldSync();
    const { driver, file } = await open(sync);
    const before = dbBytes(file);
    await bigRows(driver, 0, CHECKPOINT_MAX_COMMITS);
    expect(held.files).toEqual([`${file}-wal`]);
    // Commits go on while the WAL syncs, and nothing is copied yet.
    await bigRows(driver, CHECKPOINT_MAX_COMMITS, 5);
    expect(held.files).toHaveLength(1);
    expect(dbBytes(file)).toBe(before);
    held.finish[0]!();
    expect(dbBytes(file)).toBeGreaterThan(before + CHECKPOINT_MAX_COMMITS * 10_000);
  });

  it('after a pause, syncs and checkpoints too, copying the commits made during the sync with the rest', async () => {
    const { held, sync } = heldSync();
    const { driver, file } = await open(sync);
    const before = dbBytes(file);
    const pause = () => new Promise((resolve) => setTimeout(resolve, CHECKPOINT_IDLE_MS * 2));
    await bigRows(driver, 0, 20);
    await pause();
    expect(held.files).toHaveLength(1);
    await bigRows(driver, 20, 20);
    held.finish[0]!();
    const first = dbBytes(file);
    expect(first).toBeGreaterThan(before + 40 * 10_000);
    // Nothing since: no second sync.
    await pause();
    expect(held.files).toHaveLength(1);
    await bigRows(driver, 40, 5);
    await pause();
    expect(held.files).toHaveLength(2);
    held.finish[1]!();
    expect(dbBytes(file)).toBeGreaterThan(first + 5 * 10_000);
  });

  it('syncs again while more than RESYNC_AFTER_COMMITS commits came during the last sync, up to MAX_SYNC_ROUNDS syncs', async () => {
    const { held, sync } = heldSync();
    const { driver, file } = await open(sync);
    const before = dbBytes(file);
    await bigRows(driver, 0, CHECKPOINT_MAX_COMMITS);
    let next = CHECKPOINT_MAX_COMMITS;
    for (let round = 1; round < MAX_SYNC_ROUNDS; round++) {
      // Commits go on during the sync: past RESYNC_AFTER_COMMITS of them, another sync, no checkpoint yet.
      await bigRows(driver, next, RESYNC_AFTER_COMMITS + 1);
      next += RESYNC_AFTER_COMMITS + 1;
      held.finish[round - 1]!();
      expect(held.files).toHaveLength(round + 1);
      expect(dbBytes(file)).toBe(before);
    }
    // The last round checkpoints however many came during it.
    await bigRows(driver, next, RESYNC_AFTER_COMMITS + 1);
    held.finish[MAX_SYNC_ROUNDS - 1]!();
    expect(held.files).toHaveLength(MAX_SYNC_ROUNDS);
    expect(dbBytes(file)).toBeGreaterThan(before + CHECKPOINT_MAX_COMMITS * 10_000);
  });

  it('checkpoints with the real sync, which also answers for a WAL that is not there', async () => {
    const { driver, file } = await open();
    const before = dbBytes(file);
    await bigRows(driver, 0, CHECKPOINT_MAX_COMMITS);
    await vi.waitFor(() => expect(dbBytes(file)).toBeGreaterThan(before + CHECKPOINT_MAX_COMMITS * 10_000));
    await new Promise<void>((resolve) => syncFileOffLoop(path.join(dir, 'no-such-wal'), resolve));
  });

  it('a sync that ends after the ledger closed checkpoints nothing and throws nothing', async () => {
    const { held, sync } = heldSync();
    const { driver } = await open(sync);
    await bigRows(driver, 0, CHECKPOINT_MAX_COMMITS);
    await driver.close();
    expect(() => held.finish[0]!()).not.toThrow();
  });
});

describe("the SQLite driver's connection", () => {
  it("keeps a page cache of SQLite's default 2 MB, not better-sqlite3's 16 MB, so a run's memory does not grow with its ledger", async () => {
    const { driver } = await open();
    expect(PAGE_CACHE_KIB).toBe(2000);
    expect(await driver.all('PRAGMA cache_size')).toEqual([{ cache_size: -2000 }]);
    // better-sqlite3's own default, which the driver must not keep.
    const plain = new Database(':memory:');
    expect(plain.pragma('cache_size', { simple: true })).toBe(-16000);
    plain.close();
  });
});
