import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { initCommand, registerInitCommand, type InitCommandDeps } from '../../../src/cli/init.js';
import { loadPolicy } from '../../../src/config/load.js';
import { PRESETS } from '../../../src/config/presets.js';
import { presetAsPolicy } from '../helpers/preset-policy.js';
import { PRESET_NAMES } from '../../../src/config/schema.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fixture(): { deps: InitCommandDeps; out: () => string; root: string; home: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'capped-init-'));
  dirs.push(root);
  let out = '';
  return { deps: { cwd: root, stdout: (t) => void (out += t) }, out: () => out, root, home: path.join(root, '.home') };
}

describe('capped init', () => {
  it.each(PRESET_NAMES)('writes a commented .budgetrc for %s that loads back without errors', (preset) => {
    const f = fixture();
    const file = initCommand(f.deps, { policy: preset });
    expect(file).toBe(path.join(f.root, '.budgetrc'));
    expect(f.out()).toBe(`Wrote ${file} (policy ${preset}). Check the effective policy with \`capped config\`.\n`);
    const loaded = loadPolicy({ cwd: f.root, env: { CAPPED_HOME: f.home } });
    expect(loaded.file).toBe(file);
    expect(loaded.policy).toMatchObject({ policy: preset, ...presetAsPolicy(PRESETS[preset]) });
    expect(readFileSync(file, 'utf8')).toMatch(/^# \.budgetrc — /);
  });

  it('starts from individual by default', () => {
    const f = fixture();
    initCommand(f.deps);
    expect(readFileSync(path.join(f.root, '.budgetrc'), 'utf8')).toContain('\npolicy: individual\n');
  });

  it('refuses to overwrite without --force', () => {
    const f = fixture();
    const file = path.join(f.root, '.budgetrc');
    writeFileSync(file, 'maxUsd: 9\n');
    expect(() => initCommand(f.deps, { policy: 'team' })).toThrow(new UsageError(`${file} already exists; use \`capped init --force\` to overwrite it.`));
    expect(readFileSync(file, 'utf8')).toBe('maxUsd: 9\n');
    initCommand(f.deps, { policy: 'team', force: true });
    expect(readFileSync(file, 'utf8')).toContain('\npolicy: team\n');
  });

  it('rejects an unknown preset', () => {
    const f = fixture();
    expect(() => initCommand(f.deps, { policy: 'lax' })).toThrow(new UsageError('Expected `--policy` to be one of individual, team, strict, got `lax`.'));
  });

  it('notes when the new file takes the place of one further up', () => {
    const f = fixture();
    writeFileSync(path.join(f.root, '.budgetrc'), 'maxUsd: 2\n');
    const sub = path.join(f.root, 'pkg');
    mkdirSync(sub);
    initCommand({ ...f.deps, cwd: sub });
    expect(f.out()).toContain(
      `Note: runs under ${sub} now use this file instead of ${path.join(f.root, '.budgetrc')} (the nearest .budgetrc applies; files are not merged).\n`,
    );
  });

  it('is wired as `capped init [--policy P] [--force]`', async () => {
    const f = fixture();
    const program = new Command('capped').exitOverride();
    registerInitCommand(program, f.deps);
    await program.parseAsync(['init', '--policy', 'strict'], { from: 'user' });
    expect(readFileSync(path.join(f.root, '.budgetrc'), 'utf8')).toContain('\npolicy: strict\n');
    await expect(program.parseAsync(['init'], { from: 'user' })).rejects.toThrow(/already exists/);
  });
});
