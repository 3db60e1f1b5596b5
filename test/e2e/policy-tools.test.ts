import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai.mjs';
import { runAnthropicAgent, runOpenAIAgent, type RequestOutcome } from '../fixtures/policy-run.mjs';
import { startScriptedAnthropic, type ScriptedAnthropic } from '../fixtures/policy-upstream.mjs';

// Restricted tools end to end: the tools are taken out of the request before it reaches the
// model, whichever SDK built it; the others are passed on untouched.

const SONNET = 'claude-sonnet-4-5';

let upstream: ScriptedAnthropic | null = null;
let openai: FakeOpenAI | null = null;
afterEach(async () => {
  await upstream?.close();
  await openai?.close();
  upstream = null;
  openai = null;
});

const toolNames = (tools: unknown): string[] | null =>
  Array.isArray(tools) ? tools.map((t: { name?: string; type?: string; function?: { name: string } }) => t.function?.name ?? t.name ?? String(t.type)) : null;

describe('--restricted-tools', () => {
  it('removes Anthropic’s server web_search and the client WebFetch tool, keeps the rest', async () => {
    upstream = await startScriptedAnthropic();
    const run = await runAnthropicAgent(
      ['--restricted-tools', 'web_search,WebFetch'],
      [
        { model: SONNET, tools: ['Bash', 'web_search', 'Edit', 'WebFetch'], toolChoice: 'WebFetch' },
        { model: SONNET, tools: ['Read'], stream: false },
        { model: SONNET, tools: ['web_search', 'WebFetch'] },
      ],
      { env: { ANTHROPIC_BASE_URL: upstream.url } },
    );
    expect(run.code, run.stderr).toBe(0);
    expect((run.steps as RequestOutcome[]).map((o) => o.status)).toEqual([200, 200, 200]);
    const [first, second, third] = upstream.bill.received.map((r) => r.body!);
    expect(toolNames(first!.tools)).toEqual(['Bash', 'Edit']);
    // The kept tools are the agent's own definitions, unchanged.
    expect((first!.tools as unknown[])[0]).toEqual({
      name: 'Bash',
      description: 'Runs a shell command.',
      input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
    });
    // A tool_choice naming a removed tool would be rejected by the API: it is dropped.
    expect(first).not.toHaveProperty('tool_choice');
    expect(toolNames(second!.tools)).toEqual(['Read']);
    // Nothing left: no `tools` at all rather than an empty list.
    expect(third).not.toHaveProperty('tools');
    expect(run.stderr).toContain('capped: restricted tools removed from the request: web_search, WebFetch');
    expect(run.record!.spent.requests).toBe(3);
  });

  it('removes Chat Completions function tools by name (openai SDK, streaming and not)', async () => {
    openai = await startFakeOpenAI();
    const tools = ['shell', 'WebFetch', 'apply_patch', 'web_search'];
    const run = await runOpenAIAgent(
      ['--restricted-tools', 'web_search,WebFetch'],
      [
        { model: 'gpt-4.1', tools },
        { model: 'gpt-4.1', tools, stream: false },
      ],
      {
        env: { OPENAI_BASE_URL: openai.baseUrl },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.steps.map((s) => s.status)).toEqual([200, 200]);
    const bodies = openai.bill.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(bodies.map((b) => toolNames(b.tools))).toEqual([
      ['shell', 'apply_patch'],
      ['shell', 'apply_patch'],
    ]);
    expect(run.stderr).toContain('capped: restricted tools removed from the request: WebFetch, web_search');
    expect(run.record!.spent.usd).toBeCloseTo(openai.billedUsd(), 9);
  });

  it('--policy strict restricts the web tools (with --unattended, as it refuses runs with nobody present)', async () => {
    upstream = await startScriptedAnthropic();
    const run = await runAnthropicAgent(['--policy', 'strict', '--unattended'], [{ model: SONNET, tools: ['Bash', 'web_search', 'WebFetch', 'Read'] }], {
      env: { ANTHROPIC_BASE_URL: upstream.url },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(toolNames(upstream.bill.received[0]!.body!.tools)).toEqual(['Bash', 'Read']);
    expect(run.record!.policy.preset).toBe('strict');
    expect(run.record!.budget.usd).toBe(0.5);
  });

  it('--policy strict without a terminal exits 2 before anything starts', async () => {
    upstream = await startScriptedAnthropic();
    const run = await runAnthropicAgent(['--policy', 'strict'], [{ model: SONNET }], { env: { ANTHROPIC_BASE_URL: upstream.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("capped: This run's policy does not allow running with nobody at the keyboard (unattended: false, from preset strict)");
    expect(run.steps).toEqual([]);
    expect(upstream.bill.received).toHaveLength(0);
    expect(run.record).toBeNull();
  });
});
