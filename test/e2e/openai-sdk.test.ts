import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fixtures/fake-openai.mjs';
import { fixture, ROOT, runCapped, type CappedResult } from './helpers/run-capped.js';

// The official `openai` npm SDK, through capped's proxy and straight to the same scripted
// upstream: what the client receives must not depend on whether capped is in between.

interface ScenarioResult {
  events: unknown[];
  raw: string | null;
  status: number | null;
  error: { name: string; status: number | null; message: string; code: string | null; type: string | null; shouldRetry: string | null } | null;
}
type Results = Record<string, ScenarioResult>;

const AGENT = fixture('openai-sdk-agent.mjs');
const SCENARIOS = ['chat-stream', 'chat-stream-usage', 'chat-json', 'responses-stream', 'responses-json'];

function eventsFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-sdk-')), 'events.json');
}

function readResults(file: string): Results {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Results;
}

/** The agent on its own, pointed straight at the upstream. */
function runDirect(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AGENT], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const agentEnv = (file: string, extra: Record<string, string> = {}): Record<string, string> => ({
  OPENAI_API_KEY: 'sk-test-sdk',
  SDK_EVENTS_FILE: file,
  SDK_SCENARIOS: SCENARIOS.join(','),
  ...extra,
});

/** Two identical fakes: one the agent talks to directly, one behind capped. */
const upstreamOptions: FakeOpenAIOptions = { toolLoop: true, outputTokens: 120, cachedTokens: 8, reasoningTokens: 30 };
let directUpstream: FakeOpenAI;
let proxiedUpstream: FakeOpenAI;
let direct: Results;
let proxied: Results;
let capped: CappedResult;

beforeAll(async () => {
  directUpstream = await startFakeOpenAI(upstreamOptions);
  proxiedUpstream = await startFakeOpenAI(upstreamOptions);
  const directFile = eventsFile();
  const run = await runDirect(agentEnv(directFile, { OPENAI_BASE_URL: directUpstream.baseUrl }));
  expect(run.code, run.stderr).toBe(0);
  direct = readResults(directFile);
  const proxiedFile = eventsFile();
  capped = await runCapped(['run', '--max-usd', '5', '--', process.execPath, AGENT], {
    env: agentEnv(proxiedFile, { OPENAI_BASE_URL: proxiedUpstream.baseUrl }),
    timeoutMs: 30_000,
  });
  expect(capped.code, capped.stderr).toBe(0);
  proxied = readResults(proxiedFile);
});

afterAll(async () => {
  await directUpstream?.close();
  await proxiedUpstream?.close();
});

describe('the openai SDK through capped sees what it sees without capped', () => {
  it('ran every scenario without errors, both ways', () => {
    for (const name of SCENARIOS) {
      expect(direct[name]?.error, `direct ${name}`).toBeNull();
      expect(proxied[name]?.error, `proxied ${name}`).toBeNull();
      expect(proxied[name]?.status, name).toBe(200);
    }
    // The proxied requests really went through capped to the second upstream.
    expect(proxiedUpstream.bill.requests).toHaveLength(SCENARIOS.length);
    expect(proxiedUpstream.bill.received.every((r) => r.headers.authorization === 'Bearer sk-test-sdk')).toBe(true);
  });

  it('chat completions stream without include_usage: the same bytes, no usage chunk, no usage fields', () => {
    const d = direct['chat-stream']!;
    const p = proxied['chat-stream']!;
    // capped asked the upstream for usage; the client, which did not, must not see any of it.
    const upstreamBody = JSON.parse(proxiedUpstream.bill.received[0]!.body) as { stream_options?: { include_usage?: boolean } };
    expect(upstreamBody.stream_options?.include_usage).toBe(true);
    expect(d.raw).not.toContain('"usage"');
    // The extra usage chunk is gone…
    expect(p.raw).not.toContain('"choices":[],"usage":{');
    expect(p.raw!.split('\n\n').length).toBe(d.raw!.split('\n\n').length);
    // …and so is the `"usage":null` OpenAI adds to every other chunk once usage is asked for.
    expect(p.raw).toBe(d.raw);
    expect(p.events).toEqual(d.events);
  });

  it('chat completions stream with include_usage: the same bytes, usage chunk included', () => {
    const d = direct['chat-stream-usage']!;
    expect(d.raw).toContain('"choices":[],"usage":{');
    expect(proxied['chat-stream-usage']!.raw).toBe(d.raw);
    expect(proxied['chat-stream-usage']!.events).toEqual(d.events);
  });

  it('responses stream: the same bytes and events', () => {
    const d = direct['responses-stream']!;
    expect(d.raw).toContain('event: response.completed');
    expect(d.events.length).toBeGreaterThan(5);
    expect(proxied['responses-stream']!.raw).toBe(d.raw);
    expect(proxied['responses-stream']!.events).toEqual(d.events);
  });

  it('non-streaming chat and responses: the same bodies', () => {
    for (const name of ['chat-json', 'responses-json']) {
      expect(proxied[name]!.raw, name).toBe(direct[name]!.raw);
      expect(proxied[name]!.events, name).toEqual(direct[name]!.events);
    }
  });

  it('metered exactly what the upstream billed', () => {
    const record = capped.record!;
    expect(record.spent.requests).toBe(proxiedUpstream.bill.requests.length);
    expect(record.spent.usd).toBeCloseTo(proxiedUpstream.billedUsd(), 9);
    expect(record.spent.cacheReadTokens).toBe(8 * SCENARIOS.length);
    expect(record.spent.outputTokens).toBe(120 * SCENARIOS.length);
    expect(record.spent.actions).toBe(proxiedUpstream.bill.toolCallsIssued);
    expect(record.estimated).toBe(false);
    expect(record.hardStop).toBeNull();
  });
});

describe('the openai SDK at the cap', () => {
  let upstream: FakeOpenAI | null = null;
  afterAll(async () => {
    await upstream?.close();
  });

  it('gets a non-retryable error with capped’s message, and nothing reaches the upstream', async () => {
    upstream = await startFakeOpenAI();
    const file = eventsFile();
    // The SDK's default retries: the refusal must not be retried.
    const result = await runCapped(['run', '--max-usd', '0.0001', '--', process.execPath, AGENT], {
      env: agentEnv(file, { OPENAI_BASE_URL: upstream.baseUrl, SDK_SCENARIOS: 'chat-stream', SDK_MAX_RETRIES: '2' }),
      timeoutMs: 30_000,
    });
    expect(result.code, result.stderr).toBe(3);
    const error = readResults(file)['chat-stream']!.error!;
    expect(error).not.toBeNull();
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
    expect(error.status).not.toBe(408);
    expect(error.status).not.toBe(409);
    expect(error.status).not.toBe(429);
    expect(error.shouldRetry).toBe('false');
    expect(error.message).toMatch(/capped: this run's spending cap of \$0\.0001\d* is reached/);
    expect(upstream.bill.received).toHaveLength(0);
    expect(result.record!.hardStop?.reason).toBe('usd');
    expect(result.record!.spent.requests).toBe(0);
  });
});
