import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunDir } from '../../../src/supervisor/launch-files.js';

describe('createRunDir', () => {
  it('makes no directory unless a recipe asks for it; removes the one it made', () => {
    // A temp directory of its own, so other tests' run directories do not show.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-launch-files-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const unused = createRunDir();
      unused.write({});
      expect(fs.readdirSync(tmp)).toEqual([]);
      unused.remove();
      const used = createRunDir();
      expect(path.dirname(used.dir)).toBe(tmp);
      const file = path.join(used.dir, 'settings', 'agent.json');
      used.write({ [file]: '{}' });
      expect(fs.readFileSync(file, 'utf8')).toBe('{}');
      expect(fs.statSync(used.dir).mode & 0o777).toBe(0o700);
      used.remove();
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
