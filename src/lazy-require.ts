import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A module loaded on its first use, once: `specifier` is a Node built-in or a package (resolved
 * from capped's own directory). What only some runs need stays out of every run's start (issue
 * 11): https and tls (an upstream that is plain http), zlib (an uncompressed answer), crypto, yaml
 * (no `.budgetrc`), the price data (no request), the SQLite library (a PostgreSQL ledger). A
 * package is `require`d, not imported: an ES import of a CommonJS package first scans its source,
 * and the callers need it synchronously.
 */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
