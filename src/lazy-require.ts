import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

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

/**
 * lazyRequire for a self-contained CommonJS package (it requires nothing) whose source is large
 * and holds a few characters outside Latin-1. V8 keeps a module's source for as long as its
 * functions live, and a single such character makes it keep every character at two bytes.
 * genai-prices' 480 KB of price data holds five (dashes and an emoji in model descriptions), so
 * it was kept as 961 KB, enough to lift capped's old generation past the 8 MB from which Node
 * 20's V8 marks it incrementally against every megabyte of sockets' buffers: a run streaming big
 * answers then paid a mark-compact every stream or two (issue 11). Here the source V8 gets has
 * those characters as \u escapes (see oneByteSource).
 */
export function lazyRequireOneByte<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= loadOneByte(require.resolve(specifier)) as T);
}

function loadOneByte(file: string): unknown {
  const cached = require.cache[file];
  if (cached) return cached.exports;
  const source = oneByteSource(fs.readFileSync(file, 'utf8'));
  const module = new Module(file);
  module.filename = file;
  // In require.cache, as Node would put it: a plain require of the package later gets this one.
  require.cache[file] = module;
  try {
    // Compiled as Node compiles a CommonJS file.
    const wrapper = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
    wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  } catch (err) {
    delete require.cache[file];
    throw err;
  }
  module.loaded = true;
  return module.exports;
}

/**
 * JavaScript source with every character above U+00FF written as a \u escape (an emoji as its two
 * surrogates), in a string V8 stores one byte a character. In string and template literals,
 * regular expressions and identifiers an escape means the character itself; comments do not
 * matter. Only String.raw and a function's toString would see the difference. No regular
 * expression: V8 keeps the last one's subject (RegExp.input), which would keep the two-byte
 * source alive.
 */
export function oneByteSource(source: string): string {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c <= 0xff) continue;
    parts.push(source.slice(from, i), `\\u${c.toString(16).padStart(4, '0')}`);
    from = i + 1;
  }
  parts.push(source.slice(from));
  // Through latin1 bytes: a string V8 builds from pieces of a two-byte one stays two-byte.
  return Buffer.from(parts.join(''), 'latin1').toString('latin1');
}
