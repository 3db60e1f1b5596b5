import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { BIN, fixture, runCapped } from './helpers/run-capped.js';

/** What capped keeps of a run on this machine: never the prompt or a key; bad paths, one line. */

let upstream: FakeAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

const KEY = 'sk-ant-api03-Zq8xW2vB7nM4kL9pR3tY6uI1oE5aS0dF';
const TOKEN = 'ghp_9aZ8bY7cX6dW5eV4fU3gT2hS1iR0jQ';
const PROMPT = 'Refactor the billing module so invoices for the Hamburg office use the new tax table';

describe('the stored command', () => {
  it('keeps the executable and flags, never a key or a prompt: not in the record, the ledger, stderr or the CI summary', async () => {
    upstream = await startFakeAnthropic();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-privacy-'));
    const summary = path.join(home, 'summary.md');
    fs.writeFileSync(summary, '');
    const result = await runCapped(
      ['run', '--max-usd', '1', '--', process.execPath, fixture('looping-agent.mjs'), '-p', PROMPT, `--api-key=${KEY}`, '--token', TOKEN, '--verbose'],
      { env: { ANTHROPIC_BASE_URL: upstream.url, CAPPED_HOME: home, FAKE_MAX_REQUESTS: '1', GITHUB_STEP_SUMMARY: summary } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.record!.command).toEqual([
      process.execPath,
      fixture('looping-agent.mjs'),
      '-p',
      `<prompt: ${PROMPT.length} chars>`,
      '--api-key=***',
      '--token',
      '***',
      '--verbose',
    ]);
    const stored = [
      JSON.stringify(result.record),
      result.stderr,
      result.stdout,
      fs.readFileSync(summary, 'utf8'),
      // the SQLite file and its write-ahead log, as bytes
      ...fs
        .readdirSync(home)
        .filter((f) => f.startsWith('ledger.db'))
        .map((f) => fs.readFileSync(path.join(home, f)).toString('latin1')),
    ];
    expect(stored.length).toBeGreaterThanOrEqual(5);
    for (const text of stored) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('Hamburg');
    }
    expect(result.stderr).toContain(`-p <prompt: ${PROMPT.length} chars> --api-key=*** --token *** --verbose`);
  });

  it('keeps it verbatim with --keep-args', async () => {
    upstream = await startFakeAnthropic();
    const result = await runCapped(['run', '--keep-args', '--max-usd', '1', '--', process.execPath, fixture('looping-agent.mjs'), '-p', PROMPT], {
      env: { ANTHROPIC_BASE_URL: upstream.url, FAKE_MAX_REQUESTS: '1' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.record!.command).toEqual([process.execPath, fixture('looping-agent.mjs'), '-p', PROMPT]);
  });
});

/** Runs the CLI with `env`, killed with SIGKILL if it takes longer than `ms` (a hang fails the test). */
function cli(args: string[], env: Record<string, string>, ms = 15_000): Promise<{ code: number | null; stderr: string; hung: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let hung = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, hung });
    });
  });
}

describe('bad local state', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-badpath-'));
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, 'not a directory');
  const dbIsDir = path.join(tmp, 'db-is-dir');
  fs.mkdirSync(path.join(dbIsDir, 'ledger.db'), { recursive: true });

  const homes: [string, string, RegExp][] = [
    ['a file', file, /^capped: CAPPED_HOME .*a-file cannot be used: it is a file, not a directory\.$/],
    ['under /proc', '/proc/nope', /^capped: CAPPED_HOME \/proc\/nope cannot be used: it could not be created \(ENOENT\)\.$/],
    ['a ledger that is a directory', dbIsDir, /^capped: the ledger .*db-is-dir\/ledger\.db cannot be used: .+\.$/],
  ];
  const commands: [string, string[]][] = [
    ['run', ['run', '--max-usd', '1', '--', 'true']],
    ['runs', ['runs']],
    ['report', ['report']],
    ['config set', ['config', 'set', 'maxUsd', '2']],
    ['config show', ['config', 'show']],
  ];
  for (const [kind, home, message] of homes) {
    for (const [name, args] of commands) {
      if (kind.startsWith('a ledger') && name.startsWith('config')) continue; // config needs no ledger
      it(`CAPPED_HOME ${kind}: \`capped ${name}\` says so in one line and exits 2`, async () => {
        const r = await cli(args, { CAPPED_HOME: home });
        expect(r.hung).toBe(false);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr.trimEnd()).toMatch(message);
      });
    }
  }

  it.each([
    ['under /proc', '/proc/nope/run.json', /^capped: the directory of the --record file \/proc\/nope cannot be used: it could not be created \(ENOENT\)\.$/],
    ['under a file', path.join(file, 'run.json'), /^capped: the directory of the --record file .*a-file cannot be used: it is a file, not a directory\.$/],
    ['a directory', tmp, /^capped: the --record file .* cannot be used: it is a directory\.$/],
  ])('--record %s: one line, exit 2, before the agent starts', async (_kind, record, message) => {
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-started-')), 'started');
    const r = await cli(['run', '--record', record, '--max-usd', '1', '--', 'touch', marker], {
      CAPPED_HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'capped-home-')),
    });
    expect(r.hung).toBe(false);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('a --record that cannot be written when the run ends makes the exit non-zero, with the record on stderr', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-gone-')), 'out');
    // The agent replaces the record's directory with a file: the check at the start passed.
    const result = await runCapped(['run', '--record', path.join(dir, 'run.json'), '--max-usd', '1', '--', 'sh', '-c', `rm -rf "${dir}" && echo x > "${dir}"`]);
    expect(result.code, result.stderr).toBe(70);
    expect(result.stderr).toContain(`capped: could not write the record to ${path.join(dir, 'run.json')}`);
    expect(result.stderr).toContain('"exitCode":0');
  });
});
