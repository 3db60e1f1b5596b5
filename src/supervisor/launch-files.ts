import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunDir {
  /** A private directory for settings files given to the agent (mode 700), made when first asked for. */
  readonly dir: string;
  /** Writes the files (mode 600), creating their directories. */
  write(files: Readonly<Record<string, string>>): void;
  /** Removes the directory and everything in it (if it was made). */
  remove(): void;
}

/** Most agents are redirected by environment variables alone: no directory is made for them. */
export function createRunDir(): RunDir {
  let dir: string | null = null;
  return {
    get dir() {
      dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'capped-run-'));
      return dir;
    },
    write: (files) => {
      for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(file, content, { mode: 0o600 });
      }
    },
    remove: () => {
      if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
