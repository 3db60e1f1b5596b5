/**
 * The ledger's schema, one versioned step at a time, for SQLite and PostgreSQL alike. Each step
 * is written once in the SQL both understand; `{{serial}}` stands for the one thing they spell
 * differently, an auto-numbered primary key. A released step is never edited: change the schema
 * by appending a step.
 *
 * Times are epoch milliseconds and money is integer nano-dollars (BIGINT), so sums are exact and
 * comparisons are plain integer comparisons on both backends.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export type Dialect = 'sqlite' | 'postgres';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, requests, approvals, meta',
    sql: `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  command TEXT NOT NULL,
  cwd TEXT NOT NULL,
  repo TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  last_at BIGINT NOT NULL,
  status TEXT NOT NULL,
  budget TEXT NOT NULL,
  policy TEXT NOT NULL,
  spent_nano BIGINT NOT NULL DEFAULT 0,
  request_count INTEGER NOT NULL DEFAULT 0,
  exceeded_initial_budget INTEGER NOT NULL DEFAULT 0,
  hard_stop_reason TEXT,
  hard_stop_at BIGINT,
  record TEXT
);
CREATE INDEX runs_started_at ON runs (started_at);
CREATE INDEX runs_repo_started_at ON runs (repo, started_at);
CREATE TABLE requests (
  id {{serial}},
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  model TEXT NOT NULL,
  provider TEXT NOT NULL,
  phase TEXT NOT NULL,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cache_read_tokens BIGINT NOT NULL,
  cache_write_tokens BIGINT NOT NULL,
  cost_nano BIGINT NOT NULL,
  estimated INTEGER NOT NULL,
  retry INTEGER NOT NULL
);
CREATE INDEX requests_run_id ON requests (run_id, id);
CREATE INDEX requests_at ON requests (at);
CREATE TABLE approvals (
  id {{serial}},
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  at BIGINT NOT NULL,
  answer TEXT NOT NULL,
  from_usd DOUBLE PRECISION NOT NULL,
  to_usd DOUBLE PRECISION NOT NULL,
  model TEXT
);
CREATE INDEX approvals_run_id ON approvals (run_id, id);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'window holds',
    sql: `
CREATE TABLE window_holds (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  nano BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX window_holds_expires_at ON window_holds (expires_at);
`,
  },
  {
    version: 3,
    name: 'durable reservations',
    // A request is written as `reserved` (charged its worst case) before it is forwarded, and
    // updated in place when it settles: a capped killed mid-request leaves it charged.
    sql: `
ALTER TABLE requests ADD COLUMN request_key TEXT;
ALTER TABLE requests ADD COLUMN hold_id TEXT;
ALTER TABLE requests ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0;
CREATE INDEX requests_run_key ON requests (run_id, request_key);
`,
  },
  {
    version: 4,
    name: 'reserved and billed input',
    // What each request's input was reserved at before it was sent, and what it was billed at:
    // how far the cache-aware (likely) reservation was off, request by request.
    sql: `
ALTER TABLE requests ADD COLUMN reserved_input_nano BIGINT;
ALTER TABLE requests ADD COLUMN billed_input_nano BIGINT;
`,
  },
  {
    version: 5,
    name: 'breach cause',
    // The one primary cause of a run that exceeded its initial envelope (see breach-cause.ts);
    // null for a run within it, and for runs finished before this version.
    sql: `
ALTER TABLE runs ADD COLUMN breach_cause TEXT;
`,
  },
  {
    version: 6,
    name: 'approvals in nano-dollars',
    // Approvals were stored as dollars (DOUBLE PRECISION), the one place money left integers.
    // Existing rows convert exactly: every amount came from whole nano-dollars.
    sql: `
ALTER TABLE approvals ADD COLUMN from_nano BIGINT NOT NULL DEFAULT 0;
ALTER TABLE approvals ADD COLUMN to_nano BIGINT NOT NULL DEFAULT 0;
UPDATE approvals SET from_nano = CAST(ROUND(from_usd * 1000000000) AS BIGINT), to_nano = CAST(ROUND(to_usd * 1000000000) AS BIGINT);
ALTER TABLE approvals DROP COLUMN from_usd;
ALTER TABLE approvals DROP COLUMN to_usd;
`,
  },
];

const SERIAL: Record<Dialect, string> = {
  sqlite: 'INTEGER PRIMARY KEY',
  postgres: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
};

/** The statements of one migration in a dialect, split so drivers can run them one by one. */
export function migrationStatements(migration: Migration, dialect: Dialect): string[] {
  return migration.sql
    .replaceAll('{{serial}}', SERIAL[dialect])
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The newest schema version this capped knows. */
export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

export class SchemaTooNewError extends Error {
  constructor(found: number) {
    super(`The ledger's schema is version ${found}, newer than this capped knows (${LATEST_VERSION}). Upgrade capped to use it.`);
  }
}
