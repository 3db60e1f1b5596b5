import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetKeeper } from '../../../src/budget/keeper.js';
import { watchIdleByAtime } from '../../../src/cli/run-line-idle.js';
import { whileTreeStopped } from '../../../src/supervisor/terminate.js';

const MARKER = 'CAPPED_RUN_ID=tree-stopped-test';

/** The one-letter process state (`T` while stopped). */
function stateOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0]!;
}

let agent: ChildProcess | null = null;
afterEach(() => {
  agent?.kill('SIGKILL');
  agent = null;
});

function startAgent(): number {
  agent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { CAPPED_RUN_ID: 'tree-stopped-test' }, stdio: 'ignore' });
  return agent.pid!;
}

describe('whileTreeStopped', () => {
  it('stops the tree during the question and continues it when the question throws', async () => {
    const pid = startAgent();
    let during = '';
    await expect(
      whileTreeStopped(pid, { marker: MARKER }, async () => {
        await new Promise((r) => setTimeout(r, 50));
        during = stateOf(pid);
        throw new Error('the terminal went away');
      }),
    ).rejects.toThrow('the terminal went away');
    expect(during).toBe('T');
    await new Promise((r) => setTimeout(r, 50));
    expect(stateOf(pid)).not.toBe('T');
  });
});

describe('the idle question on plain lines', () => {
  it('answers no when the answer cannot be read, and leaves the agent running', async () => {
    const pid = startAgent();
    const keeper = new BudgetKeeper({ usd: 1_000_000_000, tokens: null, actions: null });
    let stderr = '';
    const stop = watchIdleByAtime({
      keeper,
      idleMs: 60_000,
      pid,
      marker: MARKER,
      stderr: (t) => (stderr += t),
      readLine: () => Promise.reject(new Error('no terminal')),
    });
    try {
      keeper.dispatch({ type: 'idle', at: '2026-01-01T00:00:00.000Z' });
      const admission = await keeper.admit({
        type: 'request',
        id: 'q1',
        at: '2026-01-01T00:00:01.000Z',
        model: 'claude-sonnet-4-5',
        quote: { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: 15_000_000 },
        maxTokens: 1000,
      });
      expect(admission?.type).toBe('refuse');
      expect(stderr).toContain('capped: warning: could not read the answer (no terminal); answered no.');
      await new Promise((r) => setTimeout(r, 50));
      expect(stateOf(pid)).not.toBe('T');
    } finally {
      stop();
    }
  });
});
