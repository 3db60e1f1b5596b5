import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES } from './run-capped.js';

export const ROWS = 30;
export const COLUMNS = 100;
export const NODE = process.execPath;
export const HARNESS = path.join(FIXTURES, 'tty-harness.mjs');

export interface LogEntry {
  event: string;
  pid?: number;
  key?: string | null;
  code?: number | null;
  signal?: string | null;
  rows?: number;
}

export const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** A private tmux server with one pane of ROWS × COLUMNS: send-keys types, capture-pane reads. */
export class Tmux {
  readonly socket = `capped-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-tty-'));
  readonly logFile = path.join(this.dir, 'harness.log');

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10_000 });
  }

  /** Starts `shellCommand` in a new detached session of the given size. */
  start(shellCommand: string): void {
    this.tmux('new-session', '-d', '-x', String(COLUMNS), '-y', String(ROWS), `sh -c ${quote(shellCommand)}`);
  }

  /** Runs the harness around a fixture; afterwards the pane prints `stty -a` and stays open. */
  startHarness(fixtureArgs: string[], harnessFlags: string[] = []): void {
    const harness = [NODE, HARNESS, '--log', this.logFile, ...harnessFlags, '--', NODE, ...fixtureArgs].map(quote).join(' ');
    this.start(`${harness}; echo HARNESS EXITED; stty -a; sleep 600`);
  }

  screen(): string[] {
    return this.tmux('capture-pane', '-p').replace(/\n$/, '').split('\n');
  }

  lastRow(): string {
    return this.screen()[ROWS - 1] ?? '';
  }

  /** A tmux format for the pane, e.g. "#{alternate_on}". */
  display(format: string): string {
    return this.tmux('display-message', '-p', format).trim();
  }

  log(): LogEntry[] {
    if (!fs.existsSync(this.logFile)) return [];
    return fs
      .readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogEntry);
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    removeDirs([this.dir]);
  }
}

/**
 * Removes directories that a run killed with its terminal (tmux kill-server hangs it up) may still
 * be writing to as it exits (its record, ledger, compile cache): a removal that finds a directory
 * not empty yet is retried, for up to about 10 s, instead of failing the test it cleans up after.
 */
export function removeDirs(dirs: readonly string[]): void {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
}

/** Polls `check` until it returns a value (not undefined / false), or fails with what it last saw. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000, describe: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
