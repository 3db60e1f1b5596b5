import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { ROOT, runCapped } from './helpers/run-capped.js';

// The real Claude Code CLI from npm, against the scripted upstream on loopback.
const CLAUDE = path.join(ROOT, 'node_modules/.bin/claude');

let upstream: FakeAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

const claudeEnv = (url: string): Record<string, string> => ({
  ANTHROPIC_BASE_URL: url,
  ANTHROPIC_API_KEY: 'sk-ant-e2e-test',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
});

describe('Claude Code under capped run', () => {
  it('is redirected through the proxy and metered exactly', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 40, cache: { read: 2000, write5m: 0, write1h: 1000 } });
    const result = await runCapped(['run', '--max-usd', '2', '--', CLAUDE, '-p', 'say hi', '--model', 'claude-sonnet-4-5'], {
      env: claudeEnv(upstream.url),
    });
    expect(result.code, result.stderr).toBe(0);
    const generations = upstream.bill.received.filter((r) => r.url.startsWith('/v1/messages?'));
    expect(generations.length).toBeGreaterThan(0);
    expect(generations[0]!.headers['x-api-key']).toBe('sk-ant-e2e-test');
    expect(result.record!.spent.requests).toBe(upstream.bill.requests.length);
    expect(result.record!.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
    expect(result.record!.spent.cacheWriteTokens).toBeGreaterThan(0);
  });

  it('shows the refusal and is ended when the cap cannot cover its first request', async () => {
    upstream = await startFakeAnthropic();
    const result = await runCapped(['run', '--max-usd', '0.01', '--', CLAUDE, '-p', 'say hi', '--model', 'claude-sonnet-4-5'], {
      env: claudeEnv(upstream.url),
    });
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).toMatch(/402 capped: this run's spending cap of \$0\.01 is reached/);
    expect(upstream.bill.requests).toHaveLength(0);
    expect(result.record!.hardStop?.reason).toBe('usd');
  });
});

describe('Claude Code in a tool loop under capped run', () => {
  /** Counts tool_result blocks Claude Code sends back: how many tool calls it has run. */
  const toolResults = (body: Record<string, unknown>): number =>
    ((body.messages as { content: unknown }[] | undefined) ?? [])
      .flatMap((m) => (Array.isArray(m.content) ? (m.content as { type?: string }[]) : []))
      .filter((b) => b.type === 'tool_result').length;

  /** Every main-loop request gets a Bash tool call until `calls` have run; then a final answer. */
  const loop = (calls: number) => (body: Record<string, unknown>) => {
    const tools = (body.tools as { name?: string }[] | undefined) ?? [];
    if (!tools.some((t) => t.name === 'Bash') || toolResults(body) >= calls) return { blocks: [{ type: 'text' as const, text: 'done' }], outputTokens: 30 };
    return { blocks: [{ type: 'tool_use' as const, name: 'Bash', input: { command: 'echo capped-loop', description: 'print' } }], outputTokens: 400 };
  };

  it('runs its tools through the loop, metered exactly', async () => {
    const { startScriptedAnthropic } = await import('../fixtures/policy-upstream.mjs');
    const up = await startScriptedAnthropic({ reply: loop(3) });
    try {
      const result = await runCapped(
        ['run', '--max-usd', '5', '--', CLAUDE, '-p', 'run echo three times', '--model', 'claude-sonnet-4-5', '--allowedTools', 'Bash'],
        { env: claudeEnv(up.url) },
      );
      expect(result.code, result.stderr).toBe(0);
      const record = result.record!;
      expect(record.spent.actions).toBe(3);
      expect(record.spent.requests).toBe(up.bill.requests.length);
      expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
      // the tool really ran: its output came back in the last request
      expect(JSON.stringify(up.bill.received.at(-1)?.body)).toContain('capped-loop');
    } finally {
      await up.close();
    }
  });

  it('is stopped at its cap in the middle of the loop, the bill under the cap', async () => {
    const { startScriptedAnthropic } = await import('../fixtures/policy-upstream.mjs');
    const up = await startScriptedAnthropic({ reply: loop(1000) });
    try {
      const result = await runCapped(
        ['run', '--max-usd', '0.5', '--', CLAUDE, '-p', 'loop forever', '--model', 'claude-sonnet-4-5', '--allowedTools', 'Bash'],
        { env: claudeEnv(up.url) },
      );
      expect(result.code, result.stderr).toBe(3);
      expect(up.billedUsd()).toBeLessThanOrEqual(0.5);
      expect(result.record!.spent.actions).toBeGreaterThan(1);
      expect(result.record!.hardStop?.reason).toBe('usd');
      expect(result.record!.spent.usd).toBeCloseTo(up.billedUsd(), 9);
      expect(result.stdout + result.stderr).toContain("this run's spending cap of $0.50 is reached");
    } finally {
      await up.close();
    }
  });
});
