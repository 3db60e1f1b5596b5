import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunRecord } from '../../../src/ledger/run-record.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(ROOT, 'bin/capped.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

export interface CappedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  record: RunRecord | null;
  home: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Working directory for capped (and so the agent); default the repository root. */
  cwd?: string;
  /** Called with the child once it started (e.g. to send it a signal). */
  onStart?: (child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
}

/** Runs the built CLI like a CI job would: no TTY, stdin closed, its own CAPPED_HOME. */
export function runCapped(args: string[], opts: RunOptions = {}): Promise<CappedResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-e2e-'));
  const recordFile = path.join(home, 'record.json');
  const withRecord = args.includes('--') && !args.includes('--record') ? ['run', '--record', recordFile, ...args.slice(1)] : args;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...withRecord], {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: home, CAPPED_HOME: home, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`capped did not finish in time\nstderr:\n${stderr}`));
    }, opts.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const record = fs.existsSync(recordFile) ? (JSON.parse(fs.readFileSync(recordFile, 'utf8')) as RunRecord) : null;
      resolve({ code, signal, stdout, stderr, record, home, ms: Date.now() - started });
    });
    opts.onStart?.(child);
  });
}

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** True while a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** What test/fixtures/one-request-agent.mjs printed about the answer it got. */
export interface AgentOutput {
  status: number;
  shouldRetry: string | null;
  body: string;
}

/** The one-request agent's report: the last line of its stdout. */
export const agentOutput = (stdout: string): AgentOutput => JSON.parse(stdout.trim().split('\n').pop()!) as AgentOutput;
