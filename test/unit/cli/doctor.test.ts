import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkNode, doctorAction, type DoctorDeps } from '../../../src/cli/doctor.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-doctor-'));
  dirs.push(dir);
  return dir;
}

/** A directory holding an executable `name` that prints `version` for `--version`. */
function fakeAgent(name: string, version: string): string {
  const bin = tempDir();
  fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${version}"\n`, { mode: 0o755 });
  return bin;
}

function deps(over: Partial<DoctorDeps> & { env: NodeJS.ProcessEnv }): DoctorDeps & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    cwd: tempDir(),
    nodeVersion: '20.11.1',
    ptyProbe: () => Promise.resolve(0),
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    out: () => out,
    err: () => err,
    ...over,
  };
}

describe('capped doctor', () => {
  it('passes with exit 0 when all is well; a missing agent is information, a found one shows its version', async () => {
    const home = tempDir();
    const d = deps({ env: { CAPPED_HOME: home, PATH: fakeAgent('codex', 'codex-cli 0.171.0') } });
    expect(await doctorAction(d)).toBe(0);
    expect(d.err()).toBe('');
    const out = d.out();
    expect(out).toMatch(/^ {2}ok {7}node {12}Node\.js 20\.11\.1$/m);
    expect(out).toMatch(new RegExp(`^  ok +CAPPED_HOME +${home} \\(writable\\)$`, 'm'));
    expect(out).toMatch(new RegExp(`^  ok +ledger +SQLite at ${path.join(home, 'ledger.db')} \\(opened, schema up to date\\)$`, 'm'));
    expect(out).toMatch(/^ {2}ok +terminal +a pseudo-terminal can be opened/m);
    expect(out).toMatch(/^ {2}ok +proxy +can listen on 127\.0\.0\.1/m);
    expect(out).toMatch(/^ {2}ok +agent codex +Codex CLI codex-cli 0\.171\.0 at .*\/codex$/m);
    expect(out).toMatch(/^ {2}info +agent claude +Claude Code not found on PATH \(claude, claude-code\)/m);
    expect(out).toContain('A run here would use:\n  policy     built-in defaults and your settings (no .budgetrc from ');
    expect(out).toContain('  max spend  $1.00 (built-in)\n  on limit   stop (built-in)\n');
    expect(out).toContain(`  ledger     SQLite at ${path.join(home, 'ledger.db')}\n`);
    expect(out).toContain(
      'upstreams anthropic → https://api.anthropic.com, openai → https://api.openai.com/v1, gemini → https://generativelanguage.googleapis.com',
    );
    expect(out.endsWith('\nAll checks passed.\n')).toBe(true);
  });

  it('names the policy file and the sources a run would use', async () => {
    const d = deps({ env: { CAPPED_HOME: tempDir(), PATH: '', CAPPED_ON_LIMIT: 'ask', ANTHROPIC_BASE_URL: 'http://gateway.test:8080/anthropic' } });
    fs.writeFileSync(path.join(d.cwd, '.budgetrc'), 'maxUsd: 2.50\n');
    expect(await doctorAction(d)).toBe(0);
    expect(d.out()).toContain(
      `  policy     ${path.join(d.cwd, '.budgetrc')}\n  max spend  $2.50 (${path.join(d.cwd, '.budgetrc')}:1)\n  on limit   ask (env CAPPED_ON_LIMIT)\n`,
    );
    expect(d.out()).toContain('anthropic → http://gateway.test:8080/anthropic,');
  });

  it('exits 1 with one capped: line per problem on stderr', async () => {
    const d = deps({
      env: { CAPPED_HOME: tempDir(), PATH: '', CAPPED_LEDGER_URL: 'postgres://nobody@127.0.0.1:1/x', OPENAI_BASE_URL: 'ftp://x' },
      nodeVersion: '18.19.0',
      ptyProbe: () => Promise.reject(new Error('posix_spawnp failed')),
    });
    expect(await doctorAction(d)).toBe(1);
    const lines = d.err().trimEnd().split('\n');
    expect(lines, d.err()).toHaveLength(4);
    expect(lines[0]).toBe('capped: node: Node.js 18.19.0 is too old: capped needs 20 or newer');
    expect(lines[1]).toBe('capped: ledger: Could not open the ledger at postgres://nobody@127.0.0.1:1/x: connect ECONNREFUSED 127.0.0.1:1');
    expect(lines[2]).toMatch(/^capped: terminal: no pseudo-terminal \(posix_spawnp failed\)/);
    expect(lines[3]).toBe('capped: proxy: Expected OPENAI_BASE_URL to be an http(s) URL (capped forwards to it), got `ftp://x`.');
    expect(d.out()).toMatch(/^ {2}problem +terminal +no pseudo-terminal/m);
    expect(d.out()).not.toContain('All checks passed');
  });

  it('names a CAPPED_HOME that is a file, and does not crash on it', async () => {
    const notADir = path.join(tempDir(), 'file');
    fs.writeFileSync(notADir, '');
    const d = deps({ env: { CAPPED_HOME: notADir, PATH: '' } });
    expect(await doctorAction(d)).toBe(1);
    const lines = d.err().trimEnd().split('\n');
    // The reason comes from the ledger's own path check (local-path.ts), which doctor shares.
    expect(lines).toContain(
      `capped: CAPPED_HOME: ${notADir} is not usable (CAPPED_HOME ${notADir} cannot be used: it is a file, not a directory.): set CAPPED_HOME to a writable directory`,
    );
    for (const line of lines) expect(line).toMatch(/^capped: /);
  });

  it('names a CAPPED_HOME under /proc without hanging on it', async () => {
    const d = deps({ env: { CAPPED_HOME: '/proc/nope/capped', PATH: '' } });
    expect(await doctorAction(d)).toBe(1);
    expect(d.err()).toMatch(/^capped: CAPPED_HOME: \/proc\/nope\/capped is not usable \(/m);
  });

  it('reports a broken .budgetrc as a problem per error, and a PTY program failing', async () => {
    const d = deps({ env: { CAPPED_HOME: tempDir(), PATH: '' }, ptyProbe: () => Promise.resolve(1) });
    fs.writeFileSync(path.join(d.cwd, '.budgetrc'), 'maxUsd: abc\nonLimit: never\n');
    expect(await doctorAction(d)).toBe(1);
    const lines = d.err().trimEnd().split('\n');
    expect(lines).toEqual([
      `capped: policy: .budgetrc:1:9: maxUsd: expected a positive number of dollars, found "abc".`,
      expect.stringMatching(/^capped: policy: .*\.budgetrc:2:10: onLimit: expected /),
      'capped: terminal: a program started in a pseudo-terminal exited 1 instead of 0',
    ]);
    expect(d.out()).toMatch(/^ {2}info +ledger +not checked: fix the policy problems first$/m);
    expect(d.out()).not.toContain('A run here would use');
  });

  it('says what to do when better-sqlite3 has no compiled binary, in one line', async () => {
    const tried = ['Could not locate the bindings file. Tried:', ' → /x/build/better_sqlite3.node', ' → /x/build/Release/better_sqlite3.node'].join('\n');
    const d = deps({ env: { CAPPED_HOME: tempDir(), PATH: '' }, openLedger: () => Promise.reject(new Error(tried)) });
    expect(await doctorAction(d)).toBe(1);
    expect(d.err()).toBe(
      'capped: ledger: the SQLite module better-sqlite3 has no compiled binary (Could not locate the bindings file. Tried): ' +
        'reinstall capped where python3, make and g++ are available so it can compile\n',
    );
    expect(d.out()).not.toContain('Release/better_sqlite3.node');
  });

  it('checks the Node.js major version', () => {
    expect(checkNode('20.0.0').status).toBe('ok');
    expect(checkNode('24.1.0').status).toBe('ok');
    expect(checkNode('19.9.0').status).toBe('problem');
  });
});
