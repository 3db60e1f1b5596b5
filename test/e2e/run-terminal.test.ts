import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { BIN, fixture, ROOT } from './helpers/run-capped.js';
import { NODE, quote, removeDirs, ROWS, Tmux, waitFor } from './helpers/tmux.js';

/**
 * `capped run` at a real terminal (tmux): the agent in a PTY under the live bar, questions on
 * the bar row while the agent's process tree is stopped, the idle pause, and the terminal given
 * back in cooked mode at the end.
 */

let tmux: Tmux;
let upstream: FakeAnthropic | null = null;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/cli/run-terminal.js'))) throw new Error('run `npm run build` first');
});

const scratch: string[] = [];

afterEach(async () => {
  tmux?.kill();
  await upstream?.close();
  upstream = null;
  removeDirs(scratch.splice(0));
});

/** A file for fixtures/loaded-modules.mjs to list what capped loads in (CAPPED_TEST_LOADED), removed after the test. */
function loadedList(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-loaded-'));
  scratch.push(dir);
  return path.join(dir, 'loaded.txt');
}

/** The agent's process state letter (R, S, T stopped, Z), from /proc. */
function stateOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0]!;
}

async function startRun(cappedArgs: string[], moreEnv: Record<string, string> = {}, agentArgs: string[] = []): Promise<{ pidFile: string; record: string }> {
  upstream = await startFakeAnthropic({ outputTokens: () => 2000, chunkDelayMs: 10 });
  tmux = new Tmux();
  const pidFile = path.join(tmux.dir, 'agent.pid');
  const record = path.join(tmux.dir, 'record.json');
  const extra = Object.entries(moreEnv).map(([k, v]) => ` ${k}=${quote(v)}`);
  const env = `CAPPED_HOME=${quote(tmux.dir)} ANTHROPIC_BASE_URL=${quote(upstream.url)} FAKE_PID_FILE=${quote(pidFile)}${extra.join('')}`;
  const cmd = [NODE, BIN, 'run', '--record', record, ...cappedArgs, '--', NODE, fixture('looping-agent.mjs'), ...agentArgs].map(quote).join(' ');
  tmux.start(`cd ${quote(tmux.dir)} && env ${env} ${cmd}; echo "CAPPED EXITED $?"; stty -a; sleep 600`);
  return { pidFile, record };
}

const screen = (): string => tmux.screen().join('\n');

/** The packages capped loaded, from the list fixtures/loaded-modules.mjs wrote (CAPPED_TEST_LOADED). */
function packagesLoaded(file: string): Set<string> {
  return new Set([...fs.readFileSync(file, 'utf8').matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]!));
}

describe('capped run at a terminal', () => {
  it('asks at the limit with the agent stopped; a key adds budget and resumes it; stop ends the run and restores the terminal', async () => {
    // The preload lists what capped loads: its panels, bar and questions are drawn without Ink.
    const loaded = loadedList();
    const { pidFile, record } = await startRun(['--max-usd', '0.2', '--on-limit', 'ask'], {
      NODE_OPTIONS: `--import=${fixture('loaded-modules.mjs')}`,
      CAPPED_TEST_LOADED: loaded,
    });
    await waitFor('the pre-run panel', () => screen().includes('max spend'), 15_000, screen);
    await waitFor('the live bar on the last row', () => /capped .*\$0\.\d+\/\$0\.20/.test(tmux.lastRow()), 15_000, screen);
    await waitFor('the question', () => tmux.lastRow().startsWith('Budget reached:'), 20_000, screen);
    expect(tmux.lastRow()).toContain('add $0.20 (a), enter an amount (e), or stop (s)?');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(stateOf(pid)).toBe('T');
    // A stray focus-in report is not an answer.
    tmux.tmux('send-keys', '-H', '1b', '5b', '49');
    await new Promise((r) => setTimeout(r, 300));
    expect(stateOf(pid)).toBe('T');
    tmux.tmux('send-keys', 'a');
    await waitFor('the raised cap on the bar', () => tmux.lastRow().includes('/$0.40'), 10_000, screen);
    expect(stateOf(pid)).not.toBe('T');
    await waitFor('the second question', () => tmux.lastRow().startsWith('Budget reached:') && tmux.lastRow().includes('$0.40'), 20_000, screen);
    tmux.tmux('send-keys', 's');
    await waitFor('capped to exit', () => screen().includes('CAPPED EXITED 3'), 15_000, screen);
    const text = screen();
    expect(text).toContain('limit: $0.20 → $0.40: approved');
    expect(text).toMatch(/icanon/);
    expect(text).not.toMatch(/-icanon/);
    expect(text).not.toMatch(/-echo\b/);
    const rec = JSON.parse(fs.readFileSync(record, 'utf8')) as { approvals: { answer: string }[]; hardStop: { reason: string } };
    expect(rec.approvals.map((a) => a.answer)).toEqual(['approved', 'denied']);
    expect(rec.hardStop.reason).toBe('usd');
    expect(upstream!.billedUsd()).toBeLessThanOrEqual(0.4);
    expect(text).toContain('╰');
    const packages = packagesLoaded(loaded);
    expect(packages).toContain('@lydell/node-pty');
    for (const name of ['ink', 'react', 'react-reconciler', 'yoga-layout']) expect(packages, name).not.toContain(name);
  });

  it('pauses when nobody types for the idle window, and only an explicit key resumes', async () => {
    const { pidFile } = await startRun(['--max-usd', '5', '--idle', '2s']);
    await waitFor('the question', () => tmux.lastRow().startsWith('Paused:'), 20_000, screen);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(stateOf(pid)).toBe('T');
    const billed = upstream!.bill.requests.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(upstream!.bill.requests.length).toBe(billed);
    tmux.tmux('send-keys', 'c');
    await waitFor('spending again', () => upstream!.bill.requests.length > billed + 1, 10_000, screen);
    expect(tmux.lastRow()).toMatch(/^capped /);
    tmux.tmux('send-keys', 'C-c');
    await waitFor('capped to exit', () => /CAPPED EXITED \d+/.test(screen()), 15_000, screen);
  });

  it('draws a panel whose text may take two columns a character through Ink, loaded for it', async () => {
    const loaded = loadedList();
    await startRun(['--max-usd', '5', '--idle', 'off'], { NODE_OPTIONS: `--import=${fixture('loaded-modules.mjs')}`, CAPPED_TEST_LOADED: loaded }, ['修正']);
    await waitFor('the bar', () => /^capped /.test(tmux.lastRow()), 15_000, screen);
    // Ink measures the wide characters as two columns each: the panel's right border stays in line.
    const panel = tmux.screen().filter((row) => row.startsWith('│'));
    expect(panel.find((row) => row.includes('修正'))).toBeDefined();
    expect(new Set(panel.map((row) => row.replace(/[\u3000-\u9fff]/g, '$&$&').length)).size).toBe(1);
    tmux.tmux('send-keys', 'C-c');
    await waitFor('capped to exit', () => /CAPPED EXITED \d+/.test(screen()), 15_000, screen);
    expect(screen()).toContain('╰');
    const packages = packagesLoaded(loaded);
    expect(packages).toContain('ink');
  });

  it('keeps the bar on the last row, one row below the agent’s terminal', async () => {
    await startRun(['--max-usd', '5', '--idle', 'off']);
    await waitFor('the bar', () => /^capped /.test(tmux.lastRow()), 15_000, screen);
    // Only the reserved last row carries it: the agent's terminal above is one row shorter.
    const rows = tmux.screen();
    expect(rows).toHaveLength(ROWS);
    expect(rows.slice(0, -1).filter((row) => /^capped [█░]/.test(row))).toEqual([]);
    expect(tmux.display('#{cursor_y}')).not.toBe(String(ROWS - 1));
    tmux.tmux('send-keys', 'C-c');
    await waitFor('capped to exit', () => /CAPPED EXITED \d+/.test(screen()), 15_000, screen);
  });
});

describe('capped run at a terminal, idle mid-response', () => {
  it('holds a tool call that streams in while nobody types, shows it, and lets it through on a key', async () => {
    // One slow streamed response (about 3 s) that ends with a Bash tool call; the idle window
    // (1 s) passes while it streams.
    upstream = await startFakeAnthropic({ outputTokens: () => 200, toolCalls: 1, chunkDelayMs: 150 });
    tmux = new Tmux();
    const env = `CAPPED_HOME=${quote(tmux.dir)} ANTHROPIC_BASE_URL=${quote(upstream.url)}`;
    const cmd = [NODE, BIN, 'run', '--max-usd', '5', '--idle', '1s', '--', NODE, fixture('one-request-agent.mjs')].map(quote).join(' ');
    tmux.start(`cd ${quote(tmux.dir)} && env ${env} ${cmd}; echo "CAPPED EXITED $?"; sleep 600`);
    await waitFor('the held tool call', () => tmux.lastRow().startsWith('Paused:') && tmux.lastRow().includes('`Bash`'), 20_000, screen);
    // the agent has not received the tool call: its response is still incomplete
    expect(screen()).not.toContain('tool_use');
    tmux.tmux('send-keys', 'c');
    await waitFor('the agent to get its whole response', () => screen().includes('CAPPED EXITED 0'), 15_000, screen);
    expect(screen()).toContain('approvals');
  });
});

describe('capped run with its output piped (no PTY), a person at the terminal', () => {
  it('pauses by the terminal’s access time when nobody types, asks in plain lines, and a typed y resumes', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 500, chunkDelayMs: 5 });
    tmux = new Tmux();
    const pidFile = path.join(tmux.dir, 'agent.pid');
    const env = `CAPPED_HOME=${quote(tmux.dir)} ANTHROPIC_BASE_URL=${quote(upstream.url)} FAKE_PID_FILE=${quote(pidFile)}`;
    const cmd = [NODE, BIN, 'run', '--max-usd', '5', '--idle', '2s', '--', NODE, fixture('looping-agent.mjs')].map(quote).join(' ');
    // PIPESTATUS is bash's; `sh` here is dash, so the exit code is read from a file.
    tmux.start(`cd ${quote(tmux.dir)} && { env ${env} ${cmd}; echo $? > code; } | cat; echo "CAPPED EXITED $(cat code)"; sleep 600`);
    await waitFor('the question', () => screen().includes('Type y and Enter to continue'), 20_000, screen);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(stateOf(pid)).toBe('T');
    const billed = upstream.bill.requests.length;
    tmux.tmux('send-keys', 'y', 'Enter');
    await waitFor('spending again', () => upstream!.bill.requests.length > billed + 1, 10_000, screen);
    expect(stateOf(pid)).not.toBe('T');
    // Nobody types again: the next pause comes; anything but y stops the run (not Ctrl-C, which
    // here would reach the pane's shell too).
    await waitFor('the next question', () => screen().split('Type y and Enter').length > 2, 20_000, screen);
    tmux.tmux('send-keys', 'n', 'Enter');
    await waitFor('capped to exit', () => screen().includes('CAPPED EXITED 3'), 15_000, screen);
  });
});
