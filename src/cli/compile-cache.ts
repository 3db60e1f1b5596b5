import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { usableDir } from '../config/local-path.js';
import { cacheDir } from '../ledger/data-dir.js';

// Compiling the bundle's `core` chunk is about a tenth of a run's start-up (issue 11). V8 can
// keep the compiled code between processes. Node 22.1+ offers module.enableCompileCache(), Node 20
// nothing, so this module does it for the CommonJS files of capped's bundle, the way
// v8-compile-cache does: it compiles them with vm.Script and V8's cached data. One way on every
// Node version, the one the tests check.

/** What the cache did in this process (its tests read it). */
export interface CompileCache {
  /** Where the compiled code is kept, one directory per Node version and install. */
  dir: string;
  /** Files compiled from the cache. */
  hits: string[];
  /** Files compiled from their source; their code is written to the cache at exit. */
  misses: string[];
}

interface CompilingModule {
  _compile: (this: CompilingModule, content: string, filename: string) => unknown;
  exports: unknown;
}

type Wrapper = (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => unknown;

/**
 * Keeps V8's compiled code of the CommonJS files directly in `root` (dist/bundle) between runs.
 * Off when NODE_DISABLE_COMPILE_CACHE is set (Node's own switch for its cache) or source maps
 * are on (`--enable-source-maps` maps only what Node compiles itself). A file is known by its
 * name, size and modification time; V8 also rejects code from another V8 or other flags.
 */
export function enableCompileCache(root: string, env: NodeJS.ProcessEnv = process.env): CompileCache | null {
  if (env.NODE_DISABLE_COMPILE_CACHE || process.sourceMapsEnabled) return null;
  const dir = path.join(cacheDir(env), 'compile', `node-${process.version}-${process.arch}`, pathHash(root));
  const cache: CompileCache = { dir, hits: [], misses: [] };
  const written: { file: string; script: vm.Script }[] = [];
  const proto = Module.prototype as unknown as CompilingModule;
  const compile = proto._compile;
  proto._compile = function (this: CompilingModule, content: string, filename: string): unknown {
    // Code compiled by vm.Script has no dynamic import callback: a file with an `import(` is left
    // to Node (src/import-package.ts keeps the bundle's one out of the chunks a run starts with).
    if (path.dirname(filename) !== root || content.includes('import(')) return compile.call(this, content, filename);
    const file = path.join(dir, cacheName(filename));
    const cachedData = readIfThere(file);
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (cachedData && !script.cachedDataRejected) cache.hits.push(filename);
    else {
      cache.misses.push(filename);
      written.push({ file, script });
    }
    const wrapper = script.runInThisContext({ displayErrors: true }) as Wrapper;
    return wrapper.call(this.exports, this.exports, Module.createRequire(filename), this, filename, root);
  };
  // At exit, so the code includes the functions compiled lazily while the process ran.
  process.once('exit', () => writeCache(written, dir, root));
  return cache;
}

/** `core-BDR9GmfT.js.358021.1764842000123.v8`: a file's name, size and modification time. */
function cacheName(filename: string): string {
  const stat = fs.statSync(filename);
  return `${path.basename(filename)}.${stat.size}.${Math.trunc(stat.mtimeMs)}.v8`;
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes each file's code whole (a rename) and drops the code of files that changed or went. */
function writeCache(written: { file: string; script: vm.Script }[], dir: string, root: string): void {
  if (written.length === 0) return;
  try {
    // Not mkdirSync's recursive mode: under /proc it never returns (Node 20).
    usableDir(dir, 'the compile cache');
    for (const { file, script } of written) {
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, script.createCachedData());
      fs.renameSync(temp, file);
    }
    const current = new Set(written.map(({ file }) => path.basename(file)));
    for (const name of fs.readdirSync(dir)) {
      const source = name.slice(0, name.indexOf('.js.') + 3);
      const stale = current.has(name) ? false : !fs.existsSync(path.join(root, source)) || cacheName(path.join(root, source)) !== name;
      if (stale) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    // A cache that cannot be written (a read-only home, a full disk) costs the next start its
    // compile time, nothing else.
  }
}

/** A short name for the install's directory (FNV-1a): two installs do not evict each other. */
function pathHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}
