import type { Dialect } from './migrations.js';

/** A value bound to a `?` placeholder. Booleans are stored as 0/1 by the caller. */
export type SqlValue = string | number | null;

/** A row as a driver returns it: PostgreSQL gives BIGINT and sums as strings, so read with `num`. */
export type Row = Record<string, unknown>;

export interface Statement {
  /** Portable SQL with `?` placeholders (the PostgreSQL driver numbers them). */
  sql: string;
  params: readonly SqlValue[];
  /** When set and the statement changes no row, the transaction is undone and this is thrown. */
  orElse?: () => Error;
}

/** What the ledger needs of a database: one transaction of writes, a query, migrations. */
export interface Driver {
  readonly dialect: Dialect;
  /**
   * Runs the statements as one transaction, in call order, and resolves to the rows each changed.
   * The SQLite driver has committed before it returns; PostgreSQL queues it behind earlier writes.
   */
  write(statements: readonly Statement[]): Promise<number[]>;
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Brings the schema up to date under a lock, so two capped opening at once migrate once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** Numbers `?` placeholders as `$1, $2, ...` for PostgreSQL (the ledger's SQL has no `?` in literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Reads a numeric column from either backend (PostgreSQL sends BIGINT as a string). */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') return Number(value);
  if (value === null || value === undefined) return 0;
  throw new TypeError(`Expected a number from the ledger, got ${typeof value}`);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function str(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`Expected text from the ledger, got ${typeof value}`);
  return value;
}

export function strOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : str(value);
}
