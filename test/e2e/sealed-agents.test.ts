import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai.mjs';
import { ROOT, runCapped } from './helpers/run-capped.js';

// Real agents under --sealed: they reach capped's base URLs through the namespace's bridge (the
// base URLs are on the namespace's loopback, which NO_PROXY exempts from the proxy).
const CLAUDE = path.join(ROOT, 'node_modules/.bin/claude');
const CODEX = path.join(ROOT, 'node_modules/.bin/codex');

let upstream: FakeAnthropic | FakeOpenAI | null = null;
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

describe('Codex CLI under capped run --sealed', () => {
  it('runs a tool loop over the Responses WebSocket through the bridge, metered exactly', async () => {
    const up = await startFakeOpenAI({ toolLoop: true, toolCalls: 2 });
    upstream = up;
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-codex-'));
    const key = 'sk-test-codex-sealed';
    const codex = [CODEX, 'exec', '--skip-git-repo-check', '--ephemeral', '-C', home, '-m', 'gpt-5', '--sandbox', 'danger-full-access'];
    const result = await runCapped(
      [
        'run',
        '--sealed',
        '--max-usd',
        '5',
        '--',
        ...codex,
        '-c',
        'analytics.enabled=false',
        '--disable',
        'plugins',
        '--disable',
        'remote_plugin',
        '--disable',
        'apps',
        'run echo hi',
      ],
      {
        env: { OPENAI_BASE_URL: up.baseUrl, OPENAI_API_KEY: key, CODEX_API_KEY: key, CODEX_HOME: home, CODEX_SQLITE_HOME: home },
      },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('Done: the command said hi');
    expect(up.bill.wsCreates).toBeGreaterThan(0);
    expect(up.bill.requests.every((r) => r.transport === 'ws')).toBe(true);
    expect(result.record!.spent.requests).toBe(up.bill.requests.length);
    expect(result.record!.spent.usd).toBeCloseTo(up.billedUsd(), 9);
  });
});
