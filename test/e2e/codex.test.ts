import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fixtures/fake-openai.mjs';
import { ROOT, runCapped, type CappedResult } from './helpers/run-capped.js';

// The real Codex CLI from npm (@openai/codex, a native binary) under `capped run`, against the
// scripted OpenAI upstream on loopback. capped's Codex recipe adds `-c openai_base_url=<proxy>`;
// the user's OPENAI_BASE_URL (the fake) becomes the proxy's upstream.
const CODEX = path.join(ROOT, 'node_modules/.bin/codex');
const KEY = 'sk-test-codex-e2e';

/**
 * What Codex prints when its WebSocket fails and it retries or gives up on it (codex-rs core:
 * `Reconnecting... {retries}/{max_retries}` and `Falling back from WebSockets to HTTPS transport`;
 * codex-api responses_websocket.rs: `failed to connect to Responses WebSocket`, `websocket closed
 * by server before response.completed`, `stream closed before response.completed`).
 */
const RECONNECT = /Reconnecting\.\.\.|Falling back from WebSockets|failed to connect to Responses WebSocket|stream disconnected|before response\.completed/i;

/** Codex retries a failed WebSocket 5 times with backoff (about 6 s) before it falls back to HTTP. */
const FALLBACK_MS = 5_000;

let upstream: FakeOpenAI | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

/** A fresh CODEX_HOME (config, auth, state databases) and working directory per test. */
function codexDirs(): { home: string; work: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-codex-'));
  const work = path.join(home, 'work');
  fs.mkdirSync(work);
  return { home, work };
}

/**
 * `codex exec` as a CI job runs it: no git repository needed, no session files kept, commands run
 * without sandbox or approval prompts (exec mode never asks), and nothing that would reach the
 * internet (analytics, plugin and app catalog syncs).
 */
function codexCommand(work: string, prompt: string): string[] {
  return [
    CODEX,
    'exec',
    '--skip-git-repo-check',
    '--ephemeral',
    '-C',
    work,
    '-m',
    'gpt-5',
    '--sandbox',
    'danger-full-access',
    '-c',
    'analytics.enabled=false',
    '--disable',
    'plugins',
    '--disable',
    'remote_plugin',
    '--disable',
    'apps',
    prompt,
  ];
}

async function runCodex(capArgs: string[], options: FakeOpenAIOptions): Promise<{ result: CappedResult; output: string; up: FakeOpenAI }> {
  upstream = await startFakeOpenAI(options);
  const { home, work } = codexDirs();
  const result = await runCapped(['run', ...capArgs, '--', ...codexCommand(work, 'run echo hi')], {
    env: {
      OPENAI_BASE_URL: upstream.baseUrl,
      OPENAI_API_KEY: KEY,
      // `codex exec` authenticates API calls with CODEX_API_KEY; with OPENAI_API_KEY alone it
      // sends no Authorization header at all.
      CODEX_API_KEY: KEY,
      CODEX_HOME: home,
      CODEX_SQLITE_HOME: home,
    },
    timeoutMs: 30_000,
  });
  return { result, output: result.stdout + result.stderr, up: upstream };
}

interface InputItem {
  type?: string;
  call_id?: string;
  output?: unknown;
}

/** Tool outputs Codex sent back to the model, by call id, over either transport. */
function toolOutputs(up: FakeOpenAI): Map<string, string> {
  const outputs = new Map<string, string>();
  for (const r of up.bill.received) {
    if (r.body === '') continue;
    const body = JSON.parse(r.body) as { input?: unknown };
    if (!Array.isArray(body.input)) continue;
    for (const item of body.input as InputItem[]) {
      if (item.type === 'function_call_output' && item.call_id) outputs.set(item.call_id, JSON.stringify(item.output));
    }
  }
  return outputs;
}

describe('Codex CLI under capped run', () => {
  it('runs a tool loop over the Responses WebSocket, metered exactly, with no reconnects', async () => {
    const { result, output, up } = await runCodex(['--max-usd', '5'], { toolLoop: true, toolCalls: 2 });
    expect(result.code, output).toBe(0);
    expect(result.stdout).toContain('Done: the command said hi');

    // Codex stayed on the WebSocket: upgrades accepted, every request a response.create message.
    expect(up.bill.wsCreates).toBeGreaterThan(0);
    expect(up.bill.wsAccepted).toBe(up.bill.wsUpgrades);
    expect(up.bill.received.filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(up.bill.requests.every((r) => r.transport === 'ws')).toBe(true);
    expect(output).not.toMatch(RECONNECT);
    expect(result.ms).toBeLessThan(FALLBACK_MS);
    // The key passed through the proxy to the upstream.
    expect(up.bill.received.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);

    // Codex really ran both commands and sent their output back.
    const outputs = toolOutputs(up);
    expect([...outputs.keys()].sort()).toEqual(['call_1', 'call_2']);
    for (const text of outputs.values()) expect(text).toContain('hi');

    const record = result.record!;
    expect(record.hardStop).toBeNull();
    expect(record.estimated).toBe(false);
    expect(record.spent.requests).toBe(up.bill.requests.length);
    expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
    expect(up.bill.toolCallsIssued).toBe(2);
    expect(record.spent.actions).toBe(up.bill.toolCallsIssued);
    expect(Object.keys(record.models)).toEqual(['gpt-5']);
  });

  it('is stopped at the dollar cap, shows the refusal, and the bill stays under the cap', async () => {
    const cap = 0.1;
    const { result, output, up } = await runCodex(['--max-usd', String(cap)], { toolLoop: true, toolCalls: 1000, outputTokens: 400 });
    expect(result.code, output).toBe(3);
    const billed = up.billedUsd();
    expect(billed).toBeLessThanOrEqual(cap);
    expect(billed).toBeGreaterThan(cap * 0.7);
    expect(output).toMatch(/capped: this run's spending cap of \$0\.10 is reached/);
    expect(output).not.toMatch(RECONNECT);
    const record = result.record!;
    expect(record.hardStop?.reason).toBe('usd');
    expect(record.exitCode).toBe(3);
    expect(record.spent.usd).toBeCloseTo(billed, 9);
    expect(record.spent.requests).toBe(up.bill.requests.length);
    expect(record.spent.actions).toBe(up.bill.toolCallsIssued);
  });

  it('is stopped at the tool-action cap before the second command runs', async () => {
    const { result, output, up } = await runCodex(['--max-usd', '5', '--max-actions', '1'], { toolLoop: true, toolCalls: 3 });
    expect(result.code, output).toBe(3);
    expect(output).toMatch(/capped: this run's cap of 1 tool actions is reached/);
    const record = result.record!;
    expect(record.hardStop?.reason).toBe('actions');
    expect(record.spent.actions).toBe(1);
    // The first command ran; the second call never reached Codex, so no output came back for it.
    const outputs = toolOutputs(up);
    expect(outputs.has('call_1')).toBe(true);
    expect(outputs.has('call_2')).toBe(false);
    expect(up.bill.toolCallsIssued).toBe(2);
    expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
    expect(record.spent.requests).toBe(up.bill.requests.length);
    // The withheld response still ended with its usage (read, and charged exactly above): the
    // record must not call that an estimate.
    expect(record.estimated, 'a blocked response whose terminal usage was read is not an estimate').toBe(false);
  });

  it('falls back to HTTP when the upstream refuses WebSockets, and is metered exactly there too', async () => {
    const { result, output, up } = await runCodex(['--max-usd', '5'], { toolLoop: true, toolCalls: 1, wsEnabled: false });
    expect(result.code, output).toBe(0);
    // The refused upgrades reached the upstream (capped relayed its 404), then Codex used POST + SSE.
    expect(up.bill.wsUpgrades).toBeGreaterThan(1);
    expect(up.bill.wsAccepted).toBe(0);
    expect(up.bill.requests.length).toBeGreaterThan(0);
    expect(up.bill.requests.every((r) => r.transport === 'http' && r.stream)).toBe(true);
    // The reconnect text the first test asserts is absent is what Codex really prints.
    expect(output).toMatch(RECONNECT);
    expect(toolOutputs(up).has('call_1')).toBe(true);
    const record = result.record!;
    expect(record.spent.requests).toBe(up.bill.requests.length);
    expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
    expect(record.spent.actions).toBe(up.bill.toolCallsIssued);
  });
});
