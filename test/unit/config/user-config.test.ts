import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPolicy } from '../../../src/config/load.js';
import { openUserConfig, userConfigFile } from '../../../src/config/user-config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capped-user-config-'));
  dirs.push(dir);
  return dir;
}

describe('the user config is read without conf, at the path conf writes', () => {
  it('is the same file as conf’s, with CAPPED_HOME and with XDG_CONFIG_HOME', async () => {
    const root = tempDir();
    const home = { CAPPED_HOME: path.join(root, 'home') };
    expect(userConfigFile(home)).toBe((await openUserConfig(home)).path);
    // conf finds the XDG directory in the process environment itself.
    const saved = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = path.join(root, 'xdg');
    try {
      expect(userConfigFile(process.env)).toBe((await openUserConfig(process.env)).path);
    } finally {
      if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved;
    }
    expect(userConfigFile({ XDG_CONFIG_HOME: '/x' }, 'linux')).toBe('/x/capped/config.json');
    expect(userConfigFile({}, 'linux', '/home/u')).toBe('/home/u/.config/capped/config.json');
    expect(userConfigFile({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Preferences/capped/config.json');
  });

  it('a run does not create it; a home where it cannot be created has none', () => {
    const root = tempDir();
    const xdg = path.join(root, 'xdg');
    const loaded = loadPolicy({ cwd: root, env: { XDG_CONFIG_HOME: xdg } });
    expect(loaded.userConfigPath).toBe(path.join(xdg, 'capped', 'config.json'));
    expect(existsSync(xdg)).toBe(false);
    const locked = path.join(root, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    // root may write anywhere: then the directory counts as writable, as it is.
    const expected = process.getuid?.() === 0 ? path.join(locked, 'capped', 'config.json') : null;
    expect(loadPolicy({ cwd: root, env: { XDG_CONFIG_HOME: locked } }).userConfigPath).toBe(expected);
    chmodSync(locked, 0o700);
  });
});
