import pg from 'pg';
import { numberPlaceholders, type Driver, type Row, type SqlValue, type Statement } from './driver.js';
import { LATEST_VERSION, MIGRATIONS, migrationStatements, SchemaTooNewError } from './migrations.js';
import { LedgerUnavailableError } from './ledger.js';
import { SqlLedger, type SqlLedgerOptions } from './sql-ledger.js';

/** Key of the advisory lock held while migrating, so concurrent capped processes migrate once. */
const MIGRATION_LOCK = 0x6361707064; // "capped"

/**
 * PostgreSQL through a small `pg` pool. Writes go one after another in call order, each its own
 * transaction, and every query waits for the writes called before it, so a run reads its own
 * writes even when a caller did not await them.
 */
class PgDriver implements Driver {
  readonly dialect = 'postgres' as const;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly pool: pg.Pool) {}

  write(statements: readonly Statement[]): Promise<number[]> {
    const result = this.tail.then(() => this.transaction(statements));
    this.tail = result.catch(() => undefined);
    return result;
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    await this.tail;
    const result = await this.pool.query(numberPlaceholders(sql), [...params]);
    return result.rows as Row[];
  }

  private async transaction(statements: readonly Statement[]): Promise<number[]> {
    if (statements.length === 1) {
      const [s] = statements as [Statement];
      const result = await this.pool.query(numberPlaceholders(s.sql), [...s.params]);
      if ((result.rowCount ?? 0) === 0 && s.orElse) throw s.orElse();
      return [result.rowCount ?? 0];
    }
    return this.withTransaction(async (client) => {
      const changes: number[] = [];
      for (const s of statements) {
        const result = await client.query(numberPlaceholders(s.sql), [...s.params]);
        const n = result.rowCount ?? 0;
        if (n === 0 && s.orElse) throw s.orElse();
        changes.push(n);
      }
      return changes;
    });
  }

  private async withTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  migrate(): Promise<void> {
    return this.withTransaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
      const current = rows[0]?.v ?? 0;
      if (current > LATEST_VERSION) throw new SchemaTooNewError(current);
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        for (const sql of migrationStatements(m, 'postgres')) await client.query(sql);
        await client.query('INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    });
  }

  async close(): Promise<void> {
    await this.tail;
    await this.pool.end();
  }
}

/** The server URL for messages: the password, if any, is never printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export { LedgerUnavailableError };

export function openPgDriver(url: string): Driver {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    idleTimeoutMillis: 5_000,
    connectionTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: 'capped',
  });
  // An idle connection that dies (server restart) must not crash capped; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor one the pool just dropped: a terminated backend sends its FATAL message (the query in flight
  // fails with it) and then the socket resets, emitting a second error on a client nobody listens to.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new PgDriver(pool);
}

/** The team ledger on a PostgreSQL server, migrated. */
export async function openPgLedger(url: string, opts: Omit<SqlLedgerOptions, 'backend' | 'location'>): Promise<SqlLedger> {
  const driver = openPgDriver(url);
  const location = redactUrl(url);
  try {
    await driver.migrate();
  } catch (err) {
    await driver.close().catch(() => undefined);
    if (err instanceof SchemaTooNewError) throw err;
    throw new LedgerUnavailableError(`Could not open the ledger at ${location}: ${(err as Error).message}`);
  }
  return new SqlLedger(driver, { ...opts, backend: 'postgres', location });
}
