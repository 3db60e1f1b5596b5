import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { startFakeGemini, type FakeGemini } from '../fixtures/fake-gemini.mjs';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai.mjs';
import { fixture } from './helpers/run-capped.js';

// The conversation agent talks like real agents: each turn resends the whole conversation plus the
// model's tool call and its result, so requests grow and the upstream's cache is read.

let fakes: (FakeAnthropic | FakeOpenAI | FakeGemini)[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

function agent(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture('conversation-agent.mjs'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('conversation agent', () => {
  it('Claude Code-like: ~36k tokens from the first turn, 1-hour breakpoints, a growing conversation read from cache', async () => {
    const fake = await startFakeAnthropic({ toolCalls: 1, toolCommand: 'npm test' });
    fakes.push(fake);
    const run = await agent(['--provider', 'anthropic', '--turns', '3', '--tool-result-bytes', '4000'], { ANTHROPIC_BASE_URL: fake.url });
    expect(run.code, run.stderr).toBe(0);
    const bodies = fake.bill.received.map(
      (r) =>
        JSON.parse(r.body) as {
          max_tokens: number;
          thinking: { budget_tokens: number };
          messages: { content: { type: string; input?: unknown; cache_control?: unknown }[] }[];
        },
    );
    expect(bodies.map((b) => b.messages.length)).toEqual([1, 3, 5]);
    expect(bodies[0]).toMatchObject({ max_tokens: 32_000, thinking: { budget_tokens: 31_999 } });
    // The model's own tool call is what the agent ran.
    expect(bodies[1]!.messages[1]!.content.find((b) => b.type === 'tool_use')!.input).toEqual({ command: 'npm test' });
    expect(bodies[2]!.messages[4]!.content.at(-1)!.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    const [first, second, third] = fake.bill.requests.map((r) => r.usage);
    expect(first!.write1h).toBeGreaterThan(35_000);
    expect(first!.write1h).toBeLessThan(37_500);
    expect(second!.cacheRead).toBe(first!.write1h);
    expect(third!.cacheRead).toBe(second!.cacheRead + second!.write1h);
    expect(third!.write1h).toBeGreaterThan(1000);
  });

  it('runs K conversations at once, each referencing a Files API document', async () => {
    const openai = await startFakeOpenAI({ hiddenTokens: { 'file-doc': 60_000 } });
    fakes.push(openai);
    const run = await agent(['--provider', 'openai-responses', '--turns', '2', '--concurrency', '3', '--file-id', 'file-doc'], {
      OPENAI_BASE_URL: openai.baseUrl,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(openai.bill.requests).toHaveLength(6);
    expect(openai.bill.requests.every((r) => r.usage.input > 60_000)).toBe(true);
    expect(openai.bill.received.every((r) => r.body.includes('"file_id":"file-doc"'))).toBe(true);
  });

  it('stops with exit 1 when a request is refused (Gemini), after the turns it could do', async () => {
    const gemini = await startFakeGemini();
    fakes.push(gemini);
    // No such model on the fake: the first request is refused with a 404.
    const run = await agent(['--provider', 'gemini', '--model', 'gemini-9', '--turns', '5'], { GOOGLE_GEMINI_BASE_URL: gemini.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('refused at turn 1: HTTP 404');
    const ok = await agent(['--provider', 'gemini', '--turns', '2'], { GOOGLE_GEMINI_BASE_URL: gemini.url });
    expect(ok.code, ok.stderr).toBe(0);
    expect(gemini.bill.requests[1]!.usage.cacheRead).toBeGreaterThan(8000);
  });
});
