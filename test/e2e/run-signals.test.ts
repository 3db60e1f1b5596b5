import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import type { RunDetailJson as RunDetail } from '../../src/ledger/runs-json.js';
import { BIN, fixture, isAlive, runCapped } from './helpers/run-capped.js';

/** Signals from outside, kill -9, and what capped leaves behind: processes, sockets, ledger rows. */

let upstream: FakeAnthropic | null = null;
const strays: number[] = [];
afterEach(async () => {
  await upstream?.close();
  upstream = null;
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function runsShow(home: string, id: string): RunDetail {
  const out = spawnSync(process.execPath, [BIN, 'runs', 'show', id, '--json'], {
    env: { PATH: process.env.PATH ?? '', HOME: home, CAPPED_HOME: home },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as RunDetail;
}

describe('a signal from outside ends the whole tree, and capped exits', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s: setsid child, SIGINT-ignoring child and & job all end; the record is written', async (signal) => {
    upstream = await startFakeAnthropic({ chunkDelayMs: 5 });
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-tree-')), 'pids.json');
    let children: number[] = [];
    const result = await runCapped(['run', '--max-usd', '50', '--', process.execPath, fixture('tree-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, FAKE_CHILD_PID_FILE: pidFile },
      timeoutMs: 30_000,
      onStart: (child: ChildProcess) => {
        void until('the agent tree', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').length > 0).then(async () => {
          children = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as number[];
          strays.push(...children);
          await until('a first request', () => (upstream?.bill.requests.length ?? 0) > 0);
          child.kill(signal);
        });
      },
    });
    expect(children).toHaveLength(3);
    for (const pid of children) expect(isAlive(pid), `pid ${pid} of the agent's tree outlived capped`).toBe(false);
    expect(result.code, result.stderr).toBe(128 + os.constants.signals[signal]);
    expect(result.record!.exitCode).toBe(result.code);
    expect(result.record!.hardStop).toBeNull();
    expect(result.stderr).not.toContain('could not record');
  });

  it('exits promptly after SIGTERM with a response still streaming: charged at its reservation, settled once', { timeout: 40_000 }, async () => {
    // 20 pieces a second apart: the response would stream for over 20 s.
    upstream = await startFakeAnthropic({ chunkDelayMs: 1000, outputTokens: () => 20 });
    let signalledAt = 0;
    const result = await runCapped(['run', '--max-usd', '2', '--', process.execPath, fixture('one-request-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url },
      timeoutMs: 35_000,
      onStart: (child) => {
        void until('the request upstream', () => (upstream?.bill.received.length ?? 0) > 0).then(async () => {
          await sleep(300);
          signalledAt = Date.now();
          child.kill('SIGTERM');
        });
      },
    });
    const exitedAfter = Date.now() - signalledAt;
    expect(result.code, result.stderr).toBe(143);
    // TERM reaches the agent at once; 2 s of drain; then the record and exit (nothing left open).
    expect(exitedAfter).toBeLessThan(8_000);
    expect(result.stderr).not.toContain('could not record');
    expect(result.stderr).not.toContain('database connection is not open');
    const record = result.record!;
    expect(record.spent.requests).toBe(1);
    expect(record.estimated).toBe(true);
    const run = runsShow(result.home, record.id);
    expect(run.requests).toHaveLength(1);
    expect(run.requests[0]!.estimated).toBe(true);
    expect(run.requests[0]!.costNano / 1e9).toBeCloseTo(record.spent.usd, 9);
    expect(run.requests[0]!.reserved).toBeUndefined();
  });
});

describe('kill -9 of capped mid-stream', () => {
  it('leaves the request in flight in the ledger, charged at its reservation, and counted in the daily window', { timeout: 60_000 }, async () => {
    upstream = await startFakeAnthropic({ chunkDelayMs: 1000, outputTokens: () => 20 });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-kill9-'));
    let runId = '';
    let stderr = '';
    const killed = await runCapped(['run', '--max-usd', '2', '--', process.execPath, fixture('one-request-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, CAPPED_HOME: home },
      timeoutMs: 30_000,
      onStart: (child) => {
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        void until('the request upstream', () => (upstream?.bill.received.length ?? 0) > 0).then(() => {
          runId = /capped: run (\S+) /.exec(stderr)![1]!;
          child.kill('SIGKILL');
        });
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const run = runsShow(home, runId);
    expect(run.status).toBe('aborted');
    expect(run.requests).toHaveLength(1);
    const [request] = run.requests;
    // max_tokens 1000 of claude-sonnet-4-5 at $15/M output is $0.015 of the reservation alone.
    expect(request).toMatchObject({ model: 'claude-sonnet-4-5', reserved: true, estimated: true });
    expect(request!.costNano).toBeGreaterThan(15_000_000);
    expect(run.record.estimated).toBe(true);
    expect(run.record.spent.usd).toBeCloseTo(request!.costNano / 1e9, 9);
    expect(run.spentUsd).toBeCloseTo(request!.costNano / 1e9, 9);

    // The next run on this ledger sees it in the daily window: $0.02 leaves no room for another.
    upstream.bill.received.length = 0;
    const next = await runCapped(['run', '--max-usd', '2', '--', process.execPath, fixture('one-request-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, CAPPED_HOME: home, CAPPED_DAILY: '0.02' },
    });
    expect(next.code, next.stderr).toBe(3);
    expect(next.record!.hardStop?.reason).toBe('window');
    expect(upstream.bill.received).toHaveLength(0);
  });
});
