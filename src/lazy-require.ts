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
 *
 * With `keepData`, a module that opens by declaring its data as one array literal (see
 * leadingArray) does not keep that data's source either: the literal is read as JSON (see
 * literalValue), `keepData` keeps what the caller needs of the value, and the rest of the module
 * is compiled with that in the literal's place. A module of another shape is loaded whole, as
 * without `keepData`.
 */
export function lazyRequireOneByte<T>(specifier: string, keepData?: (data: unknown) => unknown): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= loadOneByte(require.resolve(specifier), keepData) as T);
}

/** The wrapper's parameters, as Node's for a CommonJS file, and the one that brings the kept data. */
const WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];
const DATA_PARAM = '__cappedLeadingData';

function loadOneByte(file: string, keepData: ((data: unknown) => unknown) | undefined): unknown {
  const cached = require.cache[file];
  if (cached) return cached.exports;
  const compiled = compileModule(fs.readFileSync(file, 'utf8'), file, keepData);
  const module = new Module(file);
  module.filename = file;
  // In require.cache, as Node would put it: a plain require of the package later gets this one
  // (with `keepData`, the data it kept).
  require.cache[file] = module;
  try {
    compiled.wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file), compiled.data);
  } catch (err) {
    delete require.cache[file];
    throw err;
  }
  module.loaded = true;
  return module.exports;
}

type Wrapper = (...args: unknown[]) => unknown;

interface CompiledModule {
  wrapper: Wrapper;
  data?: unknown;
}

/** `source` as a function of `params`, in a string V8 keeps one byte a character. */
function compile(source: string, params: string[], file: string): Wrapper {
  return vm.compileFunction(oneByteSource(source), params, { filename: file }) as Wrapper;
}

/** The module compiled as Node compiles a CommonJS file, its leading data taken apart when it can be. */
function compileModule(source: string, file: string, keepData: ((data: unknown) => unknown) | undefined): CompiledModule {
  const literal = keepData && !source.includes(DATA_PARAM) ? leadingArray(source) : null;
  if (!keepData || !literal) return { wrapper: compile(source, WRAPPER_PARAMS, file) };
  let data: unknown;
  let wrapper: Wrapper;
  try {
    data = literalValue(source, literal.start, literal.end, file);
    wrapper = compile(source.slice(0, literal.start) + DATA_PARAM + source.slice(literal.end), [...WRAPPER_PARAMS, DATA_PARAM], file);
  } catch {
    // Not data after all (the literal names a binding of the module, or the scan misread it).
    return { wrapper: compile(source, WRAPPER_PARAMS, file) };
  }
  return { wrapper, data: keepData(data) };
}

/**
 * The value of the literal source[start, end): read as JSON when it can be written so
 * (literalAsJson), else run as a function of its own. Compiled code would keep the literal's
 * source in V8's compilation cache (Node 22 and 24 cache compileFunction too; Node 20 a
 * vm.Script) until the memory runs short; JSON.parse keeps nothing.
 */
function literalValue(source: string, start: number, end: number, file: string): unknown {
  const json = literalAsJson(source, start, end);
  if (json !== null) {
    try {
      return JSON.parse(json) as unknown;
    } catch {
      // A JavaScript-only form (an escape, a number) the conversion let through: run it instead.
    }
  }
  return compile(`return ${source.slice(start, end)}`, [], file)();
}

/** What literalAsJson is inside of. */
const IN_ARRAY = 0;
const IN_OBJECT = 1;

/**
 * The literal source[start, end) as JSON text, when it is data written as minifiers write it:
 * unquoted keys, `!0` and `!1`, a leading `.` in a number, strings in single quotes or backticks
 * (without substitutions). Null on anything else (an identifier that is not a key, a computed
 * value); a form JSON spells otherwise is caught by JSON.parse (see literalValue).
 */
export function literalAsJson(source: string, start: number, end: number): string | null {
  const out: string[] = [];
  let from = start;
  const replace = (at: number, to: number, text: string): void => {
    out.push(source.slice(from, at), text);
    from = to;
  };
  const containers: number[] = [];
  let expectKey = false;
  for (let i = start; i < end;) {
    const c = source.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
    } else if (c === 0x3a /* : */) {
      expectKey = false;
      i++;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      containers.push(c === 0x5b ? IN_ARRAY : IN_OBJECT);
      expectKey = c === 0x7b;
      i++;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      containers.pop();
      expectKey = false;
      i++;
    } else if (c === 0x2c /* , */) {
      expectKey = containers.at(-1) === IN_OBJECT;
      i++;
    } else if (c === 0x22 /* " */ || c === 0x27 /* ' */ || c === 0x60 /* ` */) {
      const j = quoteEnd(source, i + 1, c);
      if (j === -1 || j >= end) return null;
      // A literal's __proto__ key sets its prototype; JSON.parse makes it a property.
      if (expectKey && source.slice(i + 1, j) === '__proto__') return null;
      if (c !== 0x22) {
        const json = quotedAsJson(source.slice(i + 1, j), c);
        if (json === null) return null;
        replace(i, j + 1, json);
      }
      expectKey = false;
      i = j + 1;
    } else if (c === 0x21 /* ! */) {
      const d = source.charCodeAt(i + 1);
      if (d !== 0x30 && d !== 0x31) return null;
      replace(i, i + 2, d === 0x30 ? 'true' : 'false');
      i += 2;
    } else if (c === 0x2e /* . */ || c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < end && isNumberChar(source.charCodeAt(j))) j++;
      if (c === 0x2e) replace(i, i, '0');
      else if (c === 0x2d && source.charCodeAt(i + 1) === 0x2e) replace(i + 1, i + 1, '0');
      i = j;
    } else if (isIdentifierChar(c)) {
      let j = i + 1;
      while (j < end && isIdentifierChar(source.charCodeAt(j))) j++;
      const word = source.slice(i, j);
      if (expectKey && word !== '__proto__') replace(i, j, JSON.stringify(word));
      else if (word !== 'null' && word !== 'true' && word !== 'false') return null;
      i = j;
    } else {
      return null;
    }
  }
  out.push(source.slice(from, end));
  return out.join('');
}

/** Where the string whose body starts at `from` ends: its closing `quote` (one not escaped), or -1. */
function quoteEnd(source: string, from: number, quote: number): number {
  const q = String.fromCharCode(quote);
  for (let at = source.indexOf(q, from); at !== -1; at = source.indexOf(q, at + 1)) {
    let slashes = 0;
    while (source.charCodeAt(at - slashes - 1) === 0x5c) slashes++;
    if (slashes % 2 === 0) return at;
  }
  return -1;
}

/**
 * The body of a string in single quotes or backticks as a JSON string: its quote unescaped, `"`
 * escaped, a raw line feed (a template's) written `\n`; every other escape as it is, for
 * JSON.parse to accept or refuse. Null on a substitution or another raw control character (a
 * template reads a CR as a line feed).
 */
function quotedAsJson(body: string, quote: number): string | null {
  const out: string[] = ['"'];
  let from = 0;
  const put = (at: number, skip: number, text: string): void => {
    out.push(body.slice(from, at), text);
    from = at + skip;
  };
  for (let k = 0; k < body.length; k++) {
    const ch = body.charCodeAt(k);
    if (ch === 0x5c) {
      const next = body.charCodeAt(k + 1);
      if (next === quote || (quote === 0x60 && next === 0x24)) put(k, 2, String.fromCharCode(next));
      k++;
    } else if (ch === 0x22) put(k, 1, '\\"');
    else if (ch === 0x0a) put(k, 1, '\\n');
    else if (ch < 0x20 || (quote === 0x60 && ch === 0x24 && body.charCodeAt(k + 1) === 0x7b)) return null;
  }
  out.push(body.slice(from), '"');
  return out.join('');
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/**
 * Where the array literal opens and ends (exclusive) when the module's first `const` declares one
 * (`const E=[...]`, as bundlers emit a data module); null otherwise, or when the literal holds
 * anything but brackets, strings, templates without substitutions and plain tokens (a `/` may
 * start a regular expression, which this does not read). A charCode scan, for the reason given in
 * oneByteSource.
 */
export function leadingArray(source: string): { start: number; end: number } | null {
  const decl = source.indexOf('const ');
  if (decl < 0) return null;
  let i = decl + 6;
  while (i < source.length && isIdentifierChar(source.charCodeAt(i))) i++;
  while (source.charCodeAt(i) === 32) i++;
  if (source.charCodeAt(i) !== 61 /* = */) return null;
  i++;
  while (source.charCodeAt(i) === 32) i++;
  if (source.charCodeAt(i) !== 91 /* [ */) return null;
  const start = i;
  let depth = 0;
  for (; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 34 || c === 39 || c === 96) {
      // A string or template: up to its closing quote; a substitution is code.
      const close = quoteEnd(source, i + 1, c);
      if (close === -1 || (c === 96 && source.slice(i + 1, close).includes('${'))) return null;
      i = close;
    } else if (c === 47 /* / */) return null;
    else if (c === 91 || c === 123 || c === 40) depth++;
    else if (c === 93 || c === 125 || c === 41) {
      depth--;
      if (depth === 0) return { start, end: i + 1 };
    }
  }
  return null;
}

function isIdentifierChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95;
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
