import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunDir } from '../../../src/supervisor/launch-files.js';

const runDirs = (): string[] => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('capped-run-'));

describe('createRunDir', () => {
  it('makes no directory unless a recipe asks for it; removes the one it made', () => {
    const before = new Set(runDirs());
    const unused = createRunDir();
    unused.write({});
    unused.remove();
    expect(runDirs().filter((name) => !before.has(name))).toEqual([]);

    const used = createRunDir();
    const file = path.join(used.dir, 'settings', 'agent.json');
    used.write({ [file]: '{}' });
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    expect(fs.statSync(used.dir).mode & 0o777).toBe(0o700);
    used.remove();
    expect(fs.existsSync(used.dir)).toBe(false);
  });
});
