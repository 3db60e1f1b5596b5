import { statSync } from 'node:fs';
import path from 'node:path';

/** The repository policy file's name. YAML, which also reads JSON. */
export const POLICY_FILE_NAME = '.budgetrc';

/**
 * The `.budgetrc` that applies in `cwd`: the first one found walking up from it to the filesystem
 * root, or null. A repository commits its policy once and it applies in every subdirectory.
 */
export function findPolicyFile(cwd: string, exists: (file: string) => boolean = isFile): string | null {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, POLICY_FILE_NAME);
    if (exists(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function isFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}
