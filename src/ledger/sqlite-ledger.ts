import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Driver, Row, SqlValue, Statement } from './driver.js';
import { lazyRequire } from '../lazy-require.js';
import { LocalPathError, usableDir } from '../config/local-path.js';
import { LATEST_VERSION, MIGRATIONS, migrationStatements, SchemaTooNewError } from './migrations.js';
import { SqlLedger, type SqlLedgerOptions } from './sql-ledger.js';

export const LEDGER_FILE = 'ledger.db';

// On the first open, not at this module's load, which `capped --help` and a PostgreSQL ledger's run also do.
const sqlite = lazyRequire<typeof BetterSqlite3>('better-sqlite3');
type Database = BetterSqlite3.Database;

/**
 * The addon's own path, handed to better-sqlite3 so it does not search a dozen places for it (the
 * `bindings` package: 2–3 ms of every start). Undefined when it is not where an install puts it
 * (say, a debug build): better-sqlite3 then searches as usual.
 */
function nativeBinding(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined;
  }
}

/** How long a writer waits for another process's transaction before giving up. */
const BUSY_TIMEOUT_MS = 10_000;

/** Runs `fn` now, synchronously, and hands its outcome over as a promise. */
function now<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * SQLite's own checkpoint (every 1000 WAL pages) runs inside a commit, with two fsyncs: measured
 * under `capped run` it made 1 in 100 commits take 4–27 ms, on the proxy's event loop. The
 * driver checkpoints instead once no write has come for CHECKPOINT_IDLE_MS (an agent waiting on
 * its model), or at once after CHECKPOINT_MAX_COMMITS commits without a pause, so the WAL stays
 * bounded under constant traffic. Most of a checkpoint's time is its fsync of the WAL, which no
 * commit has synced (synchronous=NORMAL). So the driver syncs the WAL on libuv's thread pool
 * first (syncWal), off the event loop, again while more than RESYNC_AFTER_COMMITS commits came
 * during the last sync (commits go on meanwhile), and checkpoints then: it syncs only what came
 * since, copies, and syncs the database. Measured with bench/checkpoint.js (the real ledger,
 * requests back to back; two runs of each, minutes apart, the disk's speed varying): unsynced, a
 * checkpoint held the event loop 7.6–8.3 ms (median) at 200 commits, as it was, and 15–21 ms at
 * 500; synced first, 1.9–4.8 ms at 500 (3–10 at most), and the ledger's time per request went from
 * about 200 to 150 µs. At 500 commits (a WAL of about 10 MB) 1 request in 250 meets a checkpoint.
 */
export const CHECKPOINT_IDLE_MS = 100;
export const CHECKPOINT_MAX_COMMITS = 500;
export const RESYNC_AFTER_COMMITS = 20;
/** Under writes faster than the disk syncs, the checkpoint comes after this many syncs anyway. */
export const MAX_SYNC_ROUNDS = 4;

/** Flushes `file` to disk off the event loop, then calls `done` (also when it could not). */
export type SyncFile = (file: string, done: () => void) => void;

/** fs.fsync on libuv's thread pool; a WAL that is not there has nothing to sync. */
export const syncFileOffLoop: SyncFile = (file, done) => {
  fs.open(file, 'r', (openErr, fd) => {
    if (openErr) return done();
    fs.fsync(fd, () => fs.close(fd, () => done()));
  });
};

/** What one queued write came to: the rows each statement changed, or why it was undone. */
type Outcome = { changes: number[] } | { err: Error };

/** Writes waiting for this tick's transaction, each with its promise's settlers. */
interface QueuedWrite {
  statements: readonly Statement[];
  resolve: (changes: number[]) => void;
  reject: (err: Error) => void;
}

/**
 * SQLite through better-sqlite3. Writes are batched: every write asked for in one turn of the
 * event loop goes into one `BEGIN IMMEDIATE` transaction, committed to the write-ahead log at the
 * end of that turn (setImmediate), before any promise of them resolves; each write is a savepoint
 * of its own, so one that fails (`orElse`) undoes only itself. So a capped killed with -9 loses
 * nothing it reported (a reservation resolves only once it is committed), a kill halfway through
 * leaves no trace of the transaction, and many requests settling together cost one commit.
 * A read, a migration or close first commits what is queued. synchronous=NORMAL: in WAL mode a
 * commit survives the process dying (not a power cut), without an fsync per request on the
 * proxy's event loop.
 */
class SqliteDriver implements Driver {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement<SqlValue[]>>();
  private queue: QueuedWrite[] = [];
  private flushing: NodeJS.Immediate | null = null;
  private commits = 0;
  private readonly idle: NodeJS.Timeout;
  /** While the WAL is being synced ahead of a checkpoint. */
  private syncing = false;

  /** One queued write, as a savepoint: a write that fails (`orElse`) undoes only itself. */
  private readonly writeOne: BetterSqlite3.Transaction<(statements: readonly Statement[]) => number[]>;
  /** A batch in one transaction. Both are made once: better-sqlite3 builds a transaction's wrappers anew on every call of `transaction`. */
  private readonly commitBatch: BetterSqlite3.Transaction<(batch: readonly QueuedWrite[]) => Outcome[]>;

  constructor(
    private readonly db: Database,
    private readonly walFile: string,
    private readonly syncWal: SyncFile,
  ) {
    this.idle = setTimeout(() => this.checkpoint(), CHECKPOINT_IDLE_MS);
    this.idle.unref();
    this.writeOne = db.transaction((statements: readonly Statement[]) =>
      statements.map((s) => {
        const { changes } = this.prepare(s.sql).run(...s.params);
        if (changes === 0 && s.orElse) throw s.orElse();
        return changes;
      }),
    );
    this.commitBatch = db.transaction((batch: readonly QueuedWrite[]) =>
      batch.map((w): Outcome => {
        try {
          return { changes: this.writeOne(w.statements) };
        } catch (err) {
          return { err: err instanceof Error ? err : new Error(String(err)) };
        }
      }),
    );
  }

  /** Counts a commit, and checkpoints now past the bound or else once writes pause. */
  private committed(): void {
    if (++this.commits >= CHECKPOINT_MAX_COMMITS) this.checkpoint();
    else this.idle.refresh();
  }

  /** Syncs the WAL off the event loop, then checkpoints (see CHECKPOINT_MAX_COMMITS). */
  private checkpoint(): void {
    if (this.commits === 0 || this.syncing || !this.db.open) return;
    this.syncing = true;
    this.syncThenCheckpoint(0);
  }

  /** Syncs again while many commits came during the last sync (up to MAX_SYNC_ROUNDS), then checkpoints. */
  private syncThenCheckpoint(round: number): void {
    const before = this.commits;
    this.syncWal(this.walFile, () => {
      const more = this.commits - before > RESYNC_AFTER_COMMITS && round + 1 < MAX_SYNC_ROUNDS;
      if (this.db.open && more) return this.syncThenCheckpoint(round + 1);
      this.syncing = false;
      if (!this.db.open) return;
      // The checkpoint copies every commit so far, those made during the sync too.
      this.commits = 0;
      try {
        // PASSIVE never waits for other connections; what it cannot copy now, the next one does.
        this.db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // Another connection is checkpointing (busy): the WAL is being copied all the same.
      }
    });
  }

  private prepare(sql: string): BetterSqlite3.Statement<SqlValue[]> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<SqlValue[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  write(statements: readonly Statement[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ statements, resolve, reject });
      this.flushing ??= setImmediate(() => this.flush());
    });
  }

  /** Commits every queued write in one transaction, then settles their promises. */
  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      // A write alone is its own transaction: its savepoint would only add two statements.
      outcomes = batch.length === 1 ? [{ changes: this.writeOne.immediate(batch[0]!.statements) }] : this.commitBatch.immediate(batch);
    } catch (err) {
      // The transaction failed (busy past the timeout, disk full, or the one write in it): none of it is written.
      for (const w of batch) w.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.committed();
    batch.forEach((w, i) => {
      const outcome = outcomes[i]!;
      if ('err' in outcome) w.reject(outcome.err);
      else w.resolve(outcome.changes);
    });
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    this.flush();
    return now(() => this.prepare(sql).all(...params) as Row[]);
  }

  migrate(): Promise<void> {
    this.flush();
    return now(() => {
      const run = this.db.transaction(() => {
        this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
        const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
        const current = row.v ?? 0;
        if (current > LATEST_VERSION) throw new SchemaTooNewError(current);
        for (const m of MIGRATIONS) {
          if (m.version <= current) continue;
          for (const sql of migrationStatements(m, 'sqlite')) this.db.exec(sql);
          this.db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
        }
      });
      run.immediate();
    });
  }

  close(): Promise<void> {
    this.flush();
    clearTimeout(this.idle);
    this.statements.clear();
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}

/**
 * The page cache's ceiling, in KiB: SQLite's own default. better-sqlite3 raises it to 16 MB, and a
 * run appends a row a request, each new page staying cached: capped's memory grew with the ledger
 * (from 78 to 85 MB over 30,000 streamed requests, 88 in a terminal; the growth was all in the
 * C heap, as much as the ledger file grew; issue 11). The ledger's reads are a few rows by index,
 * or one scan for a report, which the OS's file cache serves.
 */
export const PAGE_CACHE_KIB = 2000;

/** Opens (creating when missing) the SQLite ledger at `file`; the caller runs `migrate`. */
export function openSqliteDriver(file: string, syncWal: SyncFile = syncFileOffLoop): Driver {
  usableDir(path.dirname(file), 'the data directory (CAPPED_HOME)');
  let db: Database;
  try {
    db = new (sqlite())(file, { timeout: BUSY_TIMEOUT_MS, nativeBinding: nativeBinding() });
  } catch (err) {
    throw new LocalPathError('the ledger', file, (err as Error).message);
  }
  try {
    // Only this user reads the ledger (the WAL and shared-memory files take the same mode).
    fs.chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0'); // the driver checkpoints between bursts (CHECKPOINT_IDLE_MS)
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  } catch (err) {
    db.close();
    throw new LocalPathError('the ledger', file, (err as Error).message);
  }
  return new SqliteDriver(db, `${file}-wal`, syncWal);
}

/** The embedded ledger: `<dataDir>/ledger.db`, migrated. */
export async function openSqliteLedger(dataDir: string, opts: Omit<SqlLedgerOptions, 'backend' | 'location'>): Promise<SqlLedger> {
  const file = path.join(dataDir, LEDGER_FILE);
  const driver = openSqliteDriver(file);
  try {
    await driver.migrate();
  } catch (err) {
    await driver.close();
    throw err;
  }
  return new SqlLedger(driver, { ...opts, backend: 'sqlite', location: file });
}
