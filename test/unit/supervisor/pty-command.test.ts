import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCommand } from '../../../src/supervisor/pty-command.js';
import { LaunchError } from '../../../src/errors.js';

describe('resolveCommand', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-pty-cmd-'));
  const exe = path.join(dir, 'agent');
  fs.writeFileSync(exe, '#!/bin/sh\n');
  fs.chmodSync(exe, 0o755);
  const plain = path.join(dir, 'notes');
  fs.writeFileSync(plain, '');
  fs.chmodSync(plain, 0o644);

  it('finds a command on PATH, and a path relative to the working directory', () => {
    expect(resolveCommand('agent', { PATH: `/nonexistent${path.delimiter}${dir}` }, '/')).toBe(exe);
    expect(resolveCommand('./agent', {}, dir)).toBe(exe);
  });

  it('fails like a spawn would: 127 when missing, 126 when not executable', () => {
    const fail = (command: string): LaunchError => {
      try {
        resolveCommand(command, { PATH: dir }, dir);
      } catch (err) {
        return err as LaunchError;
      }
      throw new Error('expected a LaunchError');
    };
    expect(fail('missing')).toMatchObject({ exitCode: 127, message: 'capped: command not found: missing. Check the name, or that it is on your PATH.' });
    expect(fail('notes')).toMatchObject({ exitCode: 126, message: 'capped: permission denied: notes is not executable.' });
    expect(fail('missing')).toBeInstanceOf(LaunchError);
  });
});
