import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { ROOT, runCapped } from './helpers/run-capped.js';

// A real agent under --sealed: Claude Code reaches capped's base URL through the namespace's
// bridge (its Node client ignores HTTPS_PROXY; the base URL is on the namespace's loopback).
const CLAUDE = path.join(ROOT, 'node_modules/.bin/claude');

let upstream: FakeAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

describe('Claude Code under capped run --sealed', () => {
  it('is metered exactly through the bridge', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 40 });
    const result = await runCapped(['run', '--sealed', '--max-usd', '2', '--', CLAUDE, '-p', 'say hi', '--model', 'claude-sonnet-4-5'], {
      env: { ANTHROPIC_BASE_URL: upstream.url, ANTHROPIC_API_KEY: 'sk-ant-e2e-test', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(upstream.bill.requests.length).toBeGreaterThan(0);
    expect(result.record!.spent.requests).toBe(upstream.bill.requests.length);
    expect(result.record!.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
    expect(result.record!.sealed).toBeDefined();
  });
});
