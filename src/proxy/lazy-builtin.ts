import { createRequire } from 'node:module';

const requireBuiltin = createRequire(import.meta.url);

/**
 * A Node built-in loaded on first use: https (with tls) and zlib cost several milliseconds to
 * load, and a run whose upstreams are plain http, or whose responses are not compressed, never
 * needs them (issue 11: start-up).
 */
export function lazyBuiltin<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireBuiltin(name) as T);
}
