import fs from 'node:fs';
import path from 'node:path';

/**
 * A local path capped needs (its data directory, the ledger file, `--record`) that cannot be used:
 * one line naming the path and what is wrong with it. capped exits 2 for it.
 */
export class LocalPathError extends Error {
  constructor(
    readonly what: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${what} ${path} cannot be used: ${problem}.`);
  }
}

/** The file system calls the checks make (fakes in tests: root may read anything). */
export interface PathIo {
  stat(p: string): fs.Stats;
  access(p: string, mode: number): void;
  mkdir(p: string): void;
}

export const realPathIo: PathIo = {
  stat: (p) => fs.statSync(p),
  access: (p, mode) => fs.accessSync(p, mode),
  mkdir: (p) => fs.mkdirSync(p, { mode: 0o700 }),
};

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

function problemOf(err: unknown, at: string, target: string): string {
  const code = codeOf(err);
  const where = at === target ? 'it' : at;
  if (code === 'ENOTDIR') return `a part of its path is a file, not a directory`;
  if (code === 'EACCES' || code === 'EPERM') return `${where} cannot be read (permission denied)`;
  if (code === 'ELOOP') return `${where} is a symbolic link loop`;
  return `${where} cannot be read (${code})`;
}

/**
 * Makes sure `dir` is a directory capped may read and write, creating what is missing one level
 * at a time (a recursive mkdir under /proc loops forever instead of failing). Throws
 * LocalPathError with the reason; returns the absolute path.
 */
export function usableDir(dir: string, what: string, io: PathIo = realPathIo): string {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    let stats: fs.Stats;
    try {
      stats = io.stat(at);
    } catch (err) {
      if (codeOf(err) !== 'ENOENT') throw new LocalPathError(what, target, problemOf(err, at, target));
      const parent = path.dirname(at);
      if (parent === at) throw new LocalPathError(what, target, 'no part of it exists');
      missing.unshift(at);
      at = parent;
      continue;
    }
    if (!stats.isDirectory()) throw new LocalPathError(what, target, at === target ? 'it is a file, not a directory' : `${at} is a file, not a directory`);
    break;
  }
  try {
    io.access(at, missing.length > 0 ? fs.constants.W_OK | fs.constants.X_OK : fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new LocalPathError(
      what,
      target,
      at === target ? 'it is not readable and writable by you (permission denied)' : `${at} is not writable by you, so it cannot be created`,
    );
  }
  for (const dirToMake of missing) {
    try {
      io.mkdir(dirToMake);
    } catch (err) {
      if (codeOf(err) === 'EEXIST' && io.stat(dirToMake).isDirectory()) continue;
      throw new LocalPathError(what, target, `it could not be created (${codeOf(err)})`);
    }
  }
  return target;
}

/**
 * Checks, before anything starts, that `file` can be written: its directory is usable (created if
 * missing) and the file itself, if it exists, is a writable file.
 */
export function writableFile(file: string, what: string, io: PathIo = realPathIo): string {
  const target = path.resolve(file);
  usableDir(path.dirname(target), `the directory of ${what}`, io);
  let stats: fs.Stats | null = null;
  try {
    stats = io.stat(target);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw new LocalPathError(what, target, problemOf(err, target, target));
  }
  if (stats?.isDirectory()) throw new LocalPathError(what, target, 'it is a directory');
  if (stats) {
    try {
      io.access(target, fs.constants.W_OK);
    } catch {
      throw new LocalPathError(what, target, 'it is not writable by you (permission denied)');
    }
  }
  return target;
}
