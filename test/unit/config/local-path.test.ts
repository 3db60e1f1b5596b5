import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalPathError, realPathIo, usableDir, writableFile, type PathIo } from '../../../src/config/local-path.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

/** The real file system, except that `denied` paths fail access() (tests run as root). */
function denying(denied: Set<string>, mkdirs: string[] = []): PathIo {
  return {
    stat: (p) => realPathIo.stat(p),
    access: (p, mode) => {
      if (denied.has(p)) throw errno('EACCES');
      realPathIo.access(p, mode);
    },
    mkdir: (p) => {
      mkdirs.push(p);
      realPathIo.mkdir(p);
    },
  };
}

describe('usableDir', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-local-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const problem = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(LocalPathError);
      return (err as Error).message;
    }
    throw new Error('expected a LocalPathError');
  };

  it('creates what is missing, one level at a time', () => {
    const made: string[] = [];
    const dir = path.join(tmp, 'a', 'b', 'c');
    expect(usableDir(dir, 'CAPPED_HOME', denying(new Set(), made))).toBe(dir);
    expect(made).toEqual([path.join(tmp, 'a'), path.join(tmp, 'a', 'b'), dir]);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(usableDir(dir, 'CAPPED_HOME')).toBe(dir);
  });

  it('names the path and the problem: a file, a file on the way, no permission, /proc', () => {
    const file = path.join(tmp, 'f');
    fs.writeFileSync(file, '');
    expect(problem(() => usableDir(file, 'CAPPED_HOME'))).toBe(`CAPPED_HOME ${file} cannot be used: it is a file, not a directory.`);
    expect(problem(() => usableDir(path.join(file, 'x'), 'CAPPED_HOME'))).toBe(
      `CAPPED_HOME ${file}/x cannot be used: a part of its path is a file, not a directory.`,
    );
    expect(problem(() => usableDir(tmp, 'CAPPED_HOME', denying(new Set([tmp]))))).toBe(
      `CAPPED_HOME ${tmp} cannot be used: it is not readable and writable by you (permission denied).`,
    );
    expect(problem(() => usableDir(path.join(tmp, 'new'), 'CAPPED_HOME', denying(new Set([tmp]))))).toBe(
      `CAPPED_HOME ${tmp}/new cannot be used: ${tmp} is not writable by you, so it cannot be created.`,
    );
    expect(problem(() => usableDir('/proc/nope/deeper', 'CAPPED_HOME'))).toBe(
      'CAPPED_HOME /proc/nope/deeper cannot be used: it could not be created (ENOENT).',
    );
  });

  it('reports a directory it cannot look into', () => {
    const io: PathIo = {
      ...realPathIo,
      stat: (p) =>
        p.startsWith(`${tmp}/locked`)
          ? (() => {
              throw errno('EACCES');
            })()
          : realPathIo.stat(p),
    };
    expect(problem(() => usableDir(path.join(tmp, 'locked', 'home'), 'the data directory', io))).toBe(
      `the data directory ${tmp}/locked/home cannot be used: it cannot be read (permission denied).`,
    );
  });
});

describe('writableFile', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-local-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('accepts a new file (creating its directory) or a writable one, and refuses a directory or a read-only file', () => {
    expect(writableFile(path.join(tmp, 'out', 'run.json'), '--record')).toBe(path.join(tmp, 'out', 'run.json'));
    expect(fs.statSync(path.join(tmp, 'out')).isDirectory()).toBe(true);
    expect(() => writableFile(tmp, 'the --record file')).toThrow(`the --record file ${tmp} cannot be used: it is a directory.`);
    const file = path.join(tmp, 'ro.json');
    fs.writeFileSync(file, '{}');
    expect(writableFile(file, '--record')).toBe(file);
    expect(() => writableFile(file, 'the --record file', denying(new Set([file])))).toThrow(
      `the --record file ${file} cannot be used: it is not writable by you (permission denied).`,
    );
  });
});
