import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai.mjs';
import { runOpenAIAgent } from '../fixtures/policy-run.mjs';
import { startScriptedAnthropic, type ScriptedAnthropic } from '../fixtures/policy-upstream.mjs';
import { fixture, runCapped } from './helpers/run-capped.js';

// A response whose tool call is withheld at --max-actions: the agent's stream ends with the
// provider's error event there, but capped reads the upstream on (forwarding nothing) to its final
// usage, so the charge is what the upstream billed, not an estimate; and no further than the
// output the request was reserved for.

let openai: FakeOpenAI | null = null;
let scripted: ScriptedAnthropic | null = null;
afterEach(async () => {
  await openai?.close();
  await scripted?.close();
  openai = null;
  scripted = null;
});

describe('a withheld tool call', () => {
  it('is charged the upstream’s exact usage (OpenAI Chat stream, usage in the last chunk)', async () => {
    openai = await startFakeOpenAI({ toolLoop: true, toolCalls: 1, outputTokens: 300 });
    const run = await runOpenAIAgent(['--max-usd', '5', '--max-actions', '0'], [{ model: 'gpt-4.1' }], { env: { OPENAI_BASE_URL: `${openai.url}/v1` } });
    expect(run.code, run.stderr).toBe(3);
    expect(run.record!.hardStop?.reason).toBe('actions');
    // The agent never saw the call.
    expect(run.steps[0]?.toolCalls ?? []).toEqual([]);
    expect(openai.bill.requests).toHaveLength(1);
    expect(run.record!.estimated).toBe(false);
    expect(run.record!.spent.outputTokens).toBe(300);
    expect(run.record!.spent.usd).toBeCloseTo(openai.billedUsd(), 9);
  });

  it('is read no further than the output the request was reserved for', async () => {
    // An upstream that goes on generating far past max_tokens after the withheld call (and only
    // then reports usage): capped stops reading at the reservation and charges it, flagged.
    scripted = await startScriptedAnthropic({
      reply: () => ({
        blocks: [
          { type: 'tool_use', name: 'Bash', input: { command: 'ls' } },
          { type: 'tool_use', name: 'Bash', input: { command: 'rm -rf build' } },
          ...Array.from({ length: 20 }, () => ({ type: 'text' as const, text: 'x'.repeat(500) })),
        ],
        outputTokens: 100,
      }),
    });
    const result = await runCapped(['run', '--max-usd', '5', '--max-actions', '1', '--', process.execPath, fixture('one-request-agent.mjs')], {
      env: {
        ANTHROPIC_BASE_URL: scripted.url,
        FAKE_BODY: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 500, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      },
    });
    expect(result.code, result.stderr).toBe(3);
    const body = (JSON.parse(result.stdout.trim().split('\n').pop()!) as { body: string }).body;
    expect(body).toContain("this run's cap of 1 tool actions is reached");
    expect(body).not.toContain('rm -rf build');
    expect(body).not.toContain('xxxx');
    const record = result.record!;
    expect(record.estimated).toBe(true);
    expect(record.spent.outputTokens).toBe(500);
  });
});
