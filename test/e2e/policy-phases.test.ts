import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai.mjs';
import { runAnthropicAgent, runOpenAIAgent, type PhaseOutcome, type RequestOutcome } from '../fixtures/policy-run.mjs';
import { startScriptedAnthropic, type ScriptedAnthropic, type ScriptedReply } from '../fixtures/policy-upstream.mjs';

// The verification phase end to end: the model asks for tool calls in real streams, the SDK agent
// sends them back in its history as Claude Code does, and capped attributes what follows to the
// phase those tool calls put the agent in.

const SONNET = 'claude-sonnet-4-5';

let upstream: ScriptedAnthropic | null = null;
let openai: FakeOpenAI | null = null;
afterEach(async () => {
  await upstream?.close();
  await openai?.close();
  upstream = null;
  openai = null;
});

const usd = (pico: number): number => pico / 1e12;
const sum = (up: ScriptedAnthropic, indexes: number[]): number => usd(indexes.reduce((total, i) => total + up.bill.requests[i]!.pico, 0));

/** The model runs the tests, lists files, edits a file, and is done. */
const TEST_THEN_EDIT: ScriptedReply[] = [
  {
    blocks: [
      { type: 'text', text: 'Running the tests.' },
      { type: 'tool_use', name: 'Bash', input: { command: 'npm test' } },
    ],
  },
  { blocks: [{ type: 'tool_use', name: 'Bash', input: { command: 'ls src' } }] },
  { blocks: [{ type: 'tool_use', name: 'Edit', input: { file_path: 'src/a.ts', old_string: 'a', new_string: 'b' } }] },
  { blocks: [{ type: 'text', text: 'Fixed.' }] },
];

async function conversation(flags: string[], turns: number) {
  upstream = await startScriptedAnthropic({ reply: (_body, n) => ({ outputTokens: 300, ...TEST_THEN_EDIT[n] }) });
  const steps = Array.from({ length: turns }, () => ({ model: SONNET }));
  const run = await runAnthropicAgent(flags, steps, { env: { ANTHROPIC_BASE_URL: upstream.url } });
  return { run, up: upstream, outcomes: run.steps as RequestOutcome[] };
}

describe('verification phase from the tool calls in the conversation', () => {
  it('spend after `npm test` is verification; a file edit returns to implementation', async () => {
    const { run, up, outcomes } = await conversation([], 4);
    expect(run.code, run.stderr).toBe(0);
    // The SDK assembled the streamed tool_use blocks…
    expect(outcomes.map((o) => o.toolUses)).toEqual([
      [{ name: 'Bash', input: { command: 'npm test' } }],
      [{ name: 'Bash', input: { command: 'ls src' } }],
      [{ name: 'Edit', input: { file_path: 'src/a.ts', old_string: 'a', new_string: 'b' } }],
      [],
    ]);
    // …and sent them back as history: the assistant's tool_use, then the user's tool_result.
    const second = up.bill.received[1]!.body!.messages as { role: string; content: unknown }[];
    expect(second.at(-2)).toMatchObject({
      role: 'assistant',
      content: expect.arrayContaining([expect.objectContaining({ type: 'tool_use', name: 'Bash', input: { command: 'npm test' } })]) as unknown,
    });
    expect(second.at(-1)).toMatchObject({ role: 'user', content: [expect.objectContaining({ type: 'tool_result' })] });

    const record = run.record!;
    // Request 2 follows `npm test`, request 3 follows `ls` (no change), request 4 follows the edit.
    expect(record.phases.verification.usd).toBeCloseTo(sum(up, [1, 2]), 9);
    expect(record.phases.implementation.usd).toBeCloseTo(sum(up, [0, 3]), 9);
    expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
    expect(record.spent.actions).toBe(3);
    // The default verification ceiling: 40% of the run budget.
    expect(record.budget.verifyUsd).toBe(0.4);
    expect(record.hardStop).toBeNull();
  });

  it('a --verify-usd smaller than verification needs stops the run (exit 3) with a message naming --verify-usd', async () => {
    const { run, up, outcomes } = await conversation(['--verify-usd', '0.008'], 4);
    expect(run.code, run.stderr).toBe(3);
    const record = run.record!;
    expect(record.hardStop?.reason).toBe('verify');
    expect(record.exitCode).toBe(3);
    expect(record.budget.verifyUsd).toBe(0.008);
    // The first verification request fitted with a lowered output ceiling; the next did not.
    expect(up.bill.requests).toHaveLength(2);
    expect(up.bill.requests[1]!.maxTokens).toBeLessThan(1024);
    expect(record.phases.verification.usd).toBeCloseTo(sum(up, [1]), 9);
    expect(record.phases.verification.usd).toBeLessThanOrEqual(0.008);
    expect(record.phases.implementation.usd).toBeCloseTo(sum(up, [0]), 9);
    const refused = outcomes[2]!;
    expect(refused.status).toBe(402);
    expect(refused.error?.shouldRetry).toBe('false');
    expect(refused.error?.message).toMatch(/verification budget of \$0\.008/);
    expect(refused.error?.message).toMatch(/--verify-usd \d/);
    expect(run.stderr).toMatch(/refused: this run's verification budget of \$0\.008\d* is reached .* --verify-usd/);
    expect(run.stderr).toContain('hard stop: the verification cap was reached');
  });

  it('`capped phase verification|implementation` from the agent switches the phase', async () => {
    upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 100 }) });
    const run = await runAnthropicAgent(
      [],
      [{ model: SONNET }, { phase: 'verification' }, { model: SONNET }, { model: SONNET }, { phase: 'implementation' }, { model: SONNET }],
      { env: { ANTHROPIC_BASE_URL: upstream.url } },
    );
    expect(run.code, run.stderr).toBe(0);
    const hooks = run.steps.filter((s): s is PhaseOutcome => s.kind === 'phase');
    expect(hooks.map((h) => [h.code, h.stdout, h.stderr])).toEqual([
      [0, 'phase: verification\n', ''],
      [0, 'phase: implementation\n', ''],
    ]);
    const record = run.record!;
    expect(record.phases.verification.usd).toBeCloseTo(sum(upstream, [1, 2]), 9);
    expect(record.phases.implementation.usd).toBeCloseTo(sum(upstream, [0, 3]), 9);
  });

  it('the openai SDK: a shell tool call running `npm test` moves the next request to verification', async () => {
    openai = await startFakeOpenAI({ toolLoop: true, toolCommand: 'npm test' });
    const run = await runOpenAIAgent([], [{ model: 'gpt-4.1' }, { model: 'gpt-4.1', stream: false }], { env: { OPENAI_BASE_URL: openai.baseUrl } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.steps[0]!.toolCalls).toEqual([{ name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', 'npm test'] }) }]);
    const record = run.record!;
    expect(record.phases.implementation.usd).toBeCloseTo(usd(openai.bill.requests[0]!.pico), 9);
    expect(record.phases.verification.usd).toBeCloseTo(usd(openai.bill.requests[1]!.pico), 9);
  });
});
