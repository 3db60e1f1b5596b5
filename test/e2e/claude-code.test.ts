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
