import fs from 'node:fs';
import path from 'node:path';

/**
 * The repository a run belongs to: the nearest directory at or above `dir` holding `.git` (a
 * directory, or a file in worktrees and submodules), else `dir` itself. Read from the file system
 * rather than by running git, so it costs a few `stat` calls and works without git installed.
 */
export function repoOf(dir: string): string {
  let start = path.resolve(dir);
  try {
    start = fs.realpathSync(start);
  } catch {
    // a directory that is gone still names its runs
  }
  for (let current = start; ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, '.git'))) return current;
    if (path.dirname(current) === current) return start;
  }
}
