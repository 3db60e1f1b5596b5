import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { usableDir } from '../config/local-path.js';
import { cacheDir } from '../ledger/data-dir.js';

// Compiling the bundle's `core` chunk from source costs a run about 7 ms of its start-up (issue
// 11). V8 can keep the compiled code between processes. Node 22.1+ offers
// module.enableCompileCache(), Node 20 nothing, so this module does it for the CommonJS files of
// capped's bundle, the way v8-compile-cache does: it compiles them with vm.Script and V8's cached
// data. One way on every Node version, the one the tests check.

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
  /** Node 22+ passes a third argument, the module's format ('commonjs', 'module', ...). */
  _compile: (this: CompilingModule, content: string, filename: string, ...rest: unknown[]) => unknown;
  exports: unknown;
}

const RECENT_MS = 2000;

type Wrapper = (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => unknown;

/**
 * Keeps V8's compiled code of the CommonJS files directly in `root` (dist/bundle) between runs.
 * Off when NODE_DISABLE_COMPILE_CACHE is set (Node's own switch for its cache) or source maps
 * are on (`--enable-source-maps` maps only what Node compiles itself).
 */
export function enableCompileCache(root: string, env: NodeJS.ProcessEnv = process.env, now: () => number = Date.now): CompileCache | null {
  if (env.NODE_DISABLE_COMPILE_CACHE || process.sourceMapsEnabled) return null;
  const dir = path.join(cacheDir(env), 'compile', `node-${process.version}-${process.arch}`, pathHash(root));
  const cache: CompileCache = { dir, hits: [], misses: [] };
  const written: Written[] = [];
  const proto = Module.prototype as unknown as CompilingModule;
  const compile = proto._compile;
  proto._compile = function (this: CompilingModule, content: string, filename: string, ...rest: unknown[]): unknown {
    // Code compiled by vm.Script has no dynamic import callback: a file with an `import(` is left
    // to Node (src/import-package.ts keeps the bundle's one out of the chunks a run starts with),
    // as is anything not CommonJS.
    const format = rest[0];
    if (path.dirname(filename) !== root || content.includes('import(') || (format !== undefined && format !== 'commonjs')) {
      return compile.call(this, content, filename, ...rest);
    }
    const file = path.join(dir, `${path.basename(filename)}.v8`);
    const stamp = stampOf(filename, now());
    const cachedData = stamp === null ? undefined : cachedCode(file, stamp);
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (cachedData && !script.cachedDataRejected) cache.hits.push(filename);
    else {
      cache.misses.push(filename);
      if (stamp !== null) written.push({ file, script, stamp });
    }
    const wrapper = script.runInThisContext({ displayErrors: true }) as Wrapper;
    return wrapper.call(this.exports, this.exports, Module.createRequire(filename), this, filename, path.dirname(filename));
  };
  // At exit, so the code includes the functions compiled lazily while the process ran.
  process.once('exit', () => writeCache(written, dir, root));
  return cache;
}

interface Written {
  file: string;
  script: vm.Script;
  stamp: string;
}

/**
 * What tells this version of a file from any other, as git tells a changed file: its size,
 * inode, modification and change times (ns). The change time cannot be set back, while the
 * modification time can (a tarball's files all carry npm's fixed 1985 date, `cp -p` and `tar -x`
 * keep it), and V8 checks only the source's length. A file changed in the last two seconds gets
 * none and is not cached: another change within the same timestamp tick would not show.
 */
function stampOf(filename: string, nowMs: number): string | null {
  const stat = fs.statSync(filename, { bigint: true });
  if (nowMs - Number(stat.ctimeMs) < RECENT_MS) return null;
  return `${stat.size}:${stat.ino}:${stat.mtimeNs}:${stat.ctimeNs}`;
}

/** A cache file is the stamp of the file compiled (its length, then its text) and V8's code. */
function cachedCode(file: string, stamp: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const length = bytes.length >= 4 ? bytes.readUInt32LE(0) : -1;
  if (length < 0 || 4 + length > bytes.length || bytes.toString('latin1', 4, 4 + length) !== stamp) return undefined;
  return bytes.subarray(4 + length);
}

/** Writes each file's entry whole (a rename) and drops the entries of files that went. */
function writeCache(written: Written[], dir: string, root: string): void {
  if (written.length === 0) return;
  try {
    // Not mkdirSync's recursive mode: under /proc it never returns (Node 20).
    usableDir(dir, 'the compile cache');
    for (const { file, script, stamp } of written) {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(stamp.length);
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, Buffer.concat([length, Buffer.from(stamp, 'latin1'), script.createCachedData()]));
      fs.renameSync(temp, file);
    }
    // Also what a process killed while writing left (another one writing now just loses its write).
    for (const name of fs.readdirSync(dir)) {
      const gone = name.endsWith('.v8') ? !fs.existsSync(path.join(root, name.slice(0, -'.v8'.length))) : name.endsWith('.tmp');
      if (gone) fs.rmSync(path.join(dir, name), { force: true });
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
