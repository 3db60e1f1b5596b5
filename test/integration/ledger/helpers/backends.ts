import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Ledger } from '../../../../src/ledger/ledger.js';
import { openLedger, type OpenLedgerOptions } from '../../../../src/ledger/open-ledger.js';
import { withClient } from '../../../postgres/test-postgres.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

/**
 * The PostgreSQL server the tests use: CAPPED_TEST_PG_URL, which the global setup
 * (test/global-setup.ts) sets to a server it starts when it is unset. Missing is a failure, not a skip.
 */
export function testPgUrl(): string {
  const url = process.env.CAPPED_TEST_PG_URL;
  if (!url) {
    throw new Error(
      'CAPPED_TEST_PG_URL is not set: run the tests with vitest (its global setup starts a test server) or set it to a server the tests may create databases on.',
    );
  }
  return url;
}

/** A ledger location of its own: a temp data directory, and for PostgreSQL a new database. */
export interface Store {
  backend: Backend;
  url: string | null;
  dataDir: string;
  open(overrides?: Partial<OpenLedgerOptions>): Promise<Ledger>;
  /** For SQL the helpers cannot express through the Ledger interface. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

export async function makeStore(backend: Backend): Promise<Store> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-ledger-'));
  let url: string | null = null;
  let drop: (() => Promise<void>) | null = null;
  if (backend === 'postgres') {
    const admin = testPgUrl();
    const name = `capped_t_${randomBytes(6).toString('hex')}`;
    await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
    const u = new URL(admin);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = () => withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined);
  }
  return {
    backend,
    url,
    dataDir,
    open: (overrides = {}) => openLedger({ url, dataDir, ...overrides }),
    query: async (sql) => {
      if (url !== null) return withClient(url, async (c) => (await c.query(sql)).rows as Record<string, unknown>[]);
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(path.join(dataDir, 'ledger.db'), { readonly: true });
      try {
        return db.prepare(sql).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
    cleanup: async () => {
      await drop?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
