import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCapped } from './helpers/run-capped.js';
import { tempDirs } from './helpers/temp-dirs.js';

/**
 * The compile cache (src/cli/compile-cache.ts): V8's compiled code of the bundle kept between
 * runs. Checked on files of its own in child processes, where a stale or broken cache would run
 * the wrong code, and on the real CLI.
 */

const COMPILE_CACHE = path.join(ROOT, 'dist/bundle/compile-cache.js');
const tempDir = tempDirs('capped-compile-cache-');

interface Outcome {
  out: string;
  on: boolean;
  hits: string[];
  misses: string[];
}

/** Node with the cache on for `root`, requiring root/a.js and calling what it exports. */
function runWithCache(root: string, home: string, env: NodeJS.ProcessEnv = {}, later = true): Outcome {
  const script = `
    // A minute on: the files were written just now, and a file changed in the last seconds is not cached.
    const later = ${JSON.stringify(later)} ? () => Date.now() + 60_000 : Date.now;
    const cache = require(${JSON.stringify(COMPILE_CACHE)}).enableCompileCache(${JSON.stringify(root)}, process.env, later);
    Promise.resolve(require(${JSON.stringify(path.join(root, 'a.js'))})()).then((out) => {
      const names = (files) => files.map((f) => require('node:path').basename(f)).sort();
      console.log(JSON.stringify({ out, on: cache !== null, hits: cache ? names(cache.hits) : [], misses: cache ? names(cache.misses) : [] }));
    });`;
  const stdout = execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', CAPPED_HOME: home, ...env }, encoding: 'utf8' });
  return JSON.parse(stdout) as Outcome;
}

/** The cache's entries under CAPPED_HOME `home`, as paths. */
function entries(home: string): string[] {
  const base = path.join(home, 'cache', 'compile');
  if (!fs.existsSync(base)) return [];
  return (fs.readdirSync(base, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.v8'))
    .map((f) => path.join(base, f))
    .sort();
}

function cacheFiles(home: string): string[] {
  return entries(home)
    .map((f) => path.basename(f))
    .sort();
}

/** Edits a file and gives it back its modification time, as an unpacked tarball or `cp -p` would. */
function edit(file: string, text: string): void {
  const { atime, mtime } = fs.statSync(file);
  fs.writeFileSync(file, text);
  fs.utimesSync(file, atime, mtime);
}

describe('the compile cache', () => {
  it('compiles from source once, then from the cache; an edit of the same length runs the new code', () => {
    const root = tempDir();
    const home = tempDir();
    fs.writeFileSync(path.join(root, 'a.js'), `const b = require('./b.js');\nmodule.exports = () => 'first ' + b();\n`);
    fs.writeFileSync(path.join(root, 'b.js'), `module.exports = () => 'b';\n`);

    expect(runWithCache(root, home)).toEqual({ out: 'first b', on: true, hits: [], misses: ['a.js', 'b.js'] });
    expect(cacheFiles(home).map((f) => f.split('.')[0])).toEqual(['a', 'b']);
    expect(runWithCache(root, home)).toEqual({ out: 'first b', on: true, hits: ['a.js', 'b.js'], misses: [] });

    // Same length and time: V8's own check (the source's length) would take the old code.
    edit(path.join(root, 'a.js'), `const b = require('./b.js');\nmodule.exports = () => 'secnd ' + b();\n`);
    expect(runWithCache(root, home)).toEqual({ out: 'secnd b', on: true, hits: ['b.js'], misses: ['a.js'] });
    // The old code of a.js is gone, not kept beside the new.
    expect(cacheFiles(home).map((f) => f.split('.')[0])).toEqual(['a', 'b']);
    expect(runWithCache(root, home).hits).toEqual(['a.js', 'b.js']);
  });

  it('a broken or rejected entry is compiled again and rewritten; a file that goes takes its entry with it', () => {
    const root = tempDir();
    const home = tempDir();
    fs.writeFileSync(path.join(root, 'a.js'), `module.exports = () => require('./b.js')();\n`);
    fs.writeFileSync(path.join(root, 'b.js'), `module.exports = () => 'b';\n`);
    runWithCache(root, home);
    const dir = path.dirname(entries(home)[0]!);
    // a's entry is not one at all; b's has the right source and broken code, which V8 rejects.
    fs.writeFileSync(path.join(dir, 'a.js.v8'), 'not code');
    const b = fs.readFileSync(path.join(dir, 'b.js.v8'));
    b.fill(7, 4 + b.readUInt32LE(0) + 8);
    fs.writeFileSync(path.join(dir, 'b.js.v8'), b);
    // And a process killed while writing left a temporary file.
    fs.writeFileSync(path.join(dir, 'b.js.v8.4242.tmp'), 'half');
    expect(runWithCache(root, home)).toEqual({ out: 'b', on: true, hits: [], misses: ['a.js', 'b.js'] });
    expect(runWithCache(root, home).hits).toEqual(['a.js', 'b.js']);
    expect(fs.readdirSync(dir).sort()).toEqual(['a.js.v8', 'b.js.v8']);

    // a.js no longer requires b.js, which is deleted: the next write drops b's code.
    fs.rmSync(path.join(root, 'b.js'));
    edit(path.join(root, 'a.js'), `module.exports = () => 'alone';\n`);
    expect(runWithCache(root, home).out).toBe('alone');
    expect(cacheFiles(home).map((f) => f.split('.')[0])).toEqual(['a']);
  });

  it('does not cache a file changed in the last seconds: a change in the same timestamp tick would not show', () => {
    const root = tempDir();
    const home = tempDir();
    fs.writeFileSync(path.join(root, 'a.js'), `module.exports = () => 'new';\n`);
    expect(runWithCache(root, home, {}, false)).toEqual({ out: 'new', on: true, hits: [], misses: ['a.js'] });
    expect(cacheFiles(home)).toEqual([]);
    expect(runWithCache(root, home)).toEqual({ out: 'new', on: true, hits: [], misses: ['a.js'] });
    expect(runWithCache(root, home)).toEqual({ out: 'new', on: true, hits: ['a.js'], misses: [] });
  });

  it('leaves a file with an import() to Node, whose dynamic import still works', () => {
    const root = tempDir();
    const home = tempDir();
    fs.writeFileSync(path.join(root, 'a.js'), `module.exports = () => import('node:path').then((p) => typeof p.join);\n`);
    expect(runWithCache(root, home)).toEqual({ out: 'function', on: true, hits: [], misses: [] });
    expect(runWithCache(root, home)).toEqual({ out: 'function', on: true, hits: [], misses: [] });
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE, and a cache it cannot write costs nothing else', () => {
    const root = tempDir();
    const home = tempDir();
    fs.writeFileSync(path.join(root, 'a.js'), `module.exports = () => 'ok';\n`);
    expect(runWithCache(root, home, { NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual({ out: 'ok', on: false, hits: [], misses: [] });
    expect(cacheFiles(home)).toEqual([]);
    // CAPPED_HOME's cache directory cannot be made: a file is in the way.
    fs.writeFileSync(path.join(home, 'cache'), 'a file');
    expect(runWithCache(root, home)).toEqual({ out: 'ok', on: true, hits: [], misses: ['a.js'] });
  });
});

describe('the CLI keeps its compiled code', () => {
  it('a run writes the code of the chunks it compiled, and the next run reads it without writing', async () => {
    const home = tempDir();
    const cwd = tempDir();
    const args = ['run', '--max-usd', '1', '--', process.execPath, '-e', '0'];
    // Files changed in the last two seconds are not cached: a build just before waits them out.
    const bundle = path.join(ROOT, 'dist/bundle');
    const newest = Math.max(...fs.readdirSync(bundle).map((f) => fs.statSync(path.join(bundle, f)).ctimeMs));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, newest + 2100 - Date.now())));
    const first = await runCapped(args, { cwd, env: { CAPPED_HOME: home } });
    expect(first.code, first.stderr).toBe(0);
    const files = cacheFiles(home);
    // The run's chunk is cached: it has no import() (scripts/bundle.js keeps that out of it).
    expect(files.some((f) => f.startsWith('core-'))).toBe(true);
    expect(files.some((f) => f.startsWith('main.js.'))).toBe(true);
    // A rewrite is a new file (a rename over the old one): a new inode and time.
    const stamp = (): string[] =>
      entries(home).map((f) => {
        const { ino, mtimeMs } = fs.statSync(f);
        return `${path.basename(f)}:${ino}:${mtimeMs}`;
      });
    const before = stamp();
    const second = await runCapped(args, { cwd, env: { CAPPED_HOME: home } });
    expect(second.code, second.stderr).toBe(0);
    // Read, not written again: an entry missed or rejected is always rewritten at exit, and the
    // first run shows the cache is on, so an entry left as it was is one compiled from.
    expect(stamp()).toEqual(before);
  });
});
