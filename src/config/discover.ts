import { statSync } from 'node:fs';
import path from 'node:path';

/** The repository policy file's name. YAML, which also reads JSON. */
export const POLICY_FILE_NAME = '.budgetrc';

/**
 * The `.budgetrc` that applies in `cwd`: the first one found walking up from it to the filesystem
 * root, or null. A repository commits its policy once and it applies in every subdirectory.
 */
export function findPolicyFile(cwd: string, exists: (file: string) => boolean = isFile): string | null {
  return searchPolicyFile(cwd, (file) => (exists(file) ? 'file' : 'none')).file;
}

export type EntryKind = 'file' | 'other' | 'none';

export interface PolicySearch {
  file: string | null;
  /** Entries named `.budgetrc` passed on the way that are not files (a directory, say): never read, so worth a warning. */
  notFiles: string[];
}

/** `findPolicyFile`, also telling which `.budgetrc` entries it passed because they are not files. */
export function searchPolicyFile(cwd: string, kindOf: (file: string) => EntryKind = entryKind): PolicySearch {
  const notFiles: string[] = [];
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, POLICY_FILE_NAME);
    const kind = kindOf(candidate);
    if (kind === 'file') return { file: candidate, notFiles };
    if (kind === 'other') notFiles.push(candidate);
    const parent = path.dirname(dir);
    if (parent === dir) return { file: null, notFiles };
    dir = parent;
  }
}

function entryKind(file: string): EntryKind {
  const stat = statSync(file, { throwIfNoEntry: false });
  return stat === undefined ? 'none' : stat.isFile() ? 'file' : 'other';
}

function isFile(file: string): boolean {
  return entryKind(file) === 'file';
}
