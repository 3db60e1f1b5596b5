import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { fixture, isAlive, runCapped } from './helpers/run-capped.js';

let upstream: FakeAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

const CAP = 0.5;

async function loopUntilStopped(agent: string, env: Record<string, string>, upstreamOptions = {}) {
  upstream = await startFakeAnthropic({ outputTokens: () => 2000, ...upstreamOptions });
  const result = await runCapped(['run', '--max-usd', String(CAP), '--', process.execPath, fixture(agent)], {
    env: { ANTHROPIC_BASE_URL: upstream.url, ...env },
  });
  return { result, billed: upstream.billedUsd(), up: upstream };
}

describe('capped run stops a looping agent at its dollar cap', () => {
  it('meters exactly what the upstream billed, never above the cap, and exits 3', async () => {
    const { result, billed } = await loopUntilStopped('looping-agent.mjs', {});
    expect(result.code, result.stderr).toBe(3);
    const record = result.record!;
    expect(record.spent.usd).toBeCloseTo(billed, 8);
    expect(billed).toBeLessThanOrEqual(CAP);
    // Little headroom left: the last request that fits is clamped rather than refused.
    expect(billed).toBeGreaterThan(CAP * 0.97);
    expect(record.hardStop?.reason).toBe('usd');
    expect(record.exitCode).toBe(3);
    expect(record.exceededInitialBudget).toBe(true);
    expect(record.estimated).toBe(false);
    expect(result.stderr).toMatch(/hard stop: the spending cap was reached/);
    expect(result.stderr).toMatch(/spent \$0\.\d+ of \$0\.50 requested \(\d+\.\d% consumed\)/);
  });

  it('holds the cap with 8 concurrent streams', async () => {
    const { result, billed, up } = await loopUntilStopped('looping-agent.mjs', { FAKE_CONCURRENCY: '8' }, { chunkDelayMs: 2 });
    expect(result.code, result.stderr).toBe(3);
    expect(result.record!.spent.usd).toBeCloseTo(billed, 8);
    expect(billed).toBeLessThanOrEqual(CAP);
    expect(billed).toBeGreaterThan(CAP * 0.95);
    // Every request the upstream saw was sent with a ceiling the budget could pay for.
    expect(up.bill.requests.length).toBe(result.record!.spent.requests);
  });

  it('kills an agent that ignores SIGTERM', async () => {
    const { result, billed } = await loopUntilStopped('term-ignoring-agent.mjs', {});
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('agent: ignoring SIGTERM');
    expect(billed).toBeLessThanOrEqual(CAP);
    expect(result.record!.spent.usd).toBeCloseTo(billed, 8);
  });

  it('ends a child the agent started in its own session', async () => {
    const pidFile = `${fs.mkdtempSync('/tmp/capped-pid-')}/child.pid`;
    const { result } = await loopUntilStopped('session-child-agent.mjs', { FAKE_CHILD_PID_FILE: pidFile });
    expect(result.code, result.stderr).toBe(3);
    const childPid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(childPid).toBeGreaterThan(0);
    expect(isAlive(childPid)).toBe(false);
  });

  it('stops at the token cap, counting every token kind', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 1500, cache: { read: 300, write5m: 100, write1h: 50 } });
    const result = await runCapped(['run', '--max-tokens', '20k', '--max-usd', '100', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url },
    });
    expect(result.code, result.stderr).toBe(3);
    const s = result.record!.spent;
    const used = s.inputTokens + s.outputTokens + s.cacheReadTokens + s.cacheWriteTokens;
    expect(used).toBeLessThanOrEqual(20_000);
    expect(used).toBeGreaterThan(19_000);
    expect(result.record!.hardStop?.reason).toBe('tokens');
    expect(s.cacheReadTokens).toBeGreaterThan(0);
    expect(s.cacheWriteTokens).toBeGreaterThan(0);
    expect(result.record!.spent.usd).toBeCloseTo(upstream.billedUsd(), 8);
  });

  it('lowers max_tokens and the thinking budget with it when the budget is nearly spent', async () => {
    const { result, up } = await loopUntilStopped('looping-agent.mjs', { FAKE_MAX_TOKENS: '32000', FAKE_THINKING: '31999' });
    expect(result.code, result.stderr).toBe(3);
    const clamped = up.bill.requests.filter((r) => r.maxTokens < 32000);
    expect(clamped.length).toBeGreaterThan(0);
    for (const r of clamped) {
      if (r.maxTokens - 1 >= 1024) expect(r.thinking).toEqual({ type: 'enabled', budget_tokens: r.maxTokens - 1 });
      else expect(r.thinking).toEqual({ type: 'disabled' });
    }
    expect(up.billedUsd()).toBeLessThanOrEqual(CAP);
  });
});

describe('capped run when the agent ends by itself', () => {
  it('exits with the agent code, no hard stop, exact spend', async () => {
    upstream = await startFakeAnthropic({ cache: { read: 500, write5m: 0, write1h: 200 }, toolCalls: 2 });
    const result = await runCapped(['run', '--max-usd', '5', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, FAKE_MAX_REQUESTS: '3' },
    });
    expect(result.code, result.stderr).toBe(0);
    const record = result.record!;
    expect(record.hardStop).toBeNull();
    expect(record.exceededInitialBudget).toBe(false);
    expect(record.spent.requests).toBe(3);
    expect(record.spent.actions).toBe(6);
    expect(record.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
    expect(Object.keys(record.models)).toEqual(['claude-sonnet-4-5-20250929']);
    expect(record.mostExpensive?.model).toBe('claude-sonnet-4-5-20250929');
  });

  it('passes the agent exit code through', async () => {
    const result = await runCapped(['run', '--', process.execPath, '-e', 'process.exit(7)']);
    expect(result.code).toBe(7);
    expect(result.record!.exitCode).toBe(7);
  });

  it('meters non-streaming JSON responses exactly', async () => {
    upstream = await startFakeAnthropic({ toolCalls: 1 });
    const result = await runCapped(['run', '--max-usd', '5', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, FAKE_MAX_REQUESTS: '4', FAKE_STREAM: '0' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.record!.spent.requests).toBe(4);
    expect(result.record!.spent.actions).toBe(4);
    expect(result.record!.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
  });
});

describe('when the real input costs more than its estimate', () => {
  it('ends the response at the cap instead of overshooting (1-hour cache writes cost 2x input)', async () => {
    // Every input token is a 1-hour cache write ($6/M instead of $3/M): the reservation, priced
    // at the plain input rate, is too low, and the output clamp alone would overshoot.
    upstream = await startFakeAnthropic({ outputTokens: () => 4000, cache: { read: 0, write5m: 0, write1h: 1_000_000 }, chunkDelayMs: 5 });
    const result = await runCapped(['run', '--max-usd', '0.05', '--', process.execPath, fixture('one-request-agent.mjs')], {
      env: {
        ANTHROPIC_BASE_URL: upstream.url,
        FAKE_BODY: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 4096,
          stream: true,
          messages: [{ role: 'user', content: 'lorem ipsum '.repeat(2000) }],
        }),
      },
    });
    expect(result.code, result.stderr).toBe(3);
    const billed = upstream.billedUsd();
    expect(billed).toBeGreaterThan(0.03);
    expect(billed).toBeLessThanOrEqual(0.05);
    expect(result.record!.spent.usd).toBeLessThanOrEqual(0.05);
    expect(result.record!.hardStop?.reason).toBe('usd');
    expect(result.record!.estimated).toBe(true);
    // The agent saw the stream end with capped's error, not a silent cut.
    expect(result.stdout).toContain('the response in progress was stopped at the cap');
    // Metered within a few output tokens of what the provider billed for the cut response.
    expect(Math.abs(result.record!.spent.usd - billed)).toBeLessThan(0.003);
  });
});
