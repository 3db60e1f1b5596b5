import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai.mjs';
import { runAnthropicAgent, runCappedIn, runOpenAIAgent, type AgentStep, type RequestOutcome, type StepOutcome } from '../fixtures/policy-run.mjs';
import { DATED, startScriptedAnthropic, type ScriptedAnthropic } from '../fixtures/policy-upstream.mjs';

// Escalation and downgrade end to end: the official Anthropic and OpenAI SDKs in fixture agents,
// through the built CLI with no TTY (stdin closed), against scripted upstreams that record what
// reached them.

const SONNET = 'claude-sonnet-4-5';
const OPUS = 'claude-opus-4-5';
const HAIKU = 'claude-haiku-4-5';

let upstream: ScriptedAnthropic | null = null;
let openai: FakeOpenAI | null = null;
afterEach(async () => {
  await upstream?.close();
  await openai?.close();
  upstream = null;
  openai = null;
});

/** The models the upstream was asked for, in order. */
/** The models of the generation requests the upstream received (not capped's exact-count calls). */
const sentModels = (up: ScriptedAnthropic): string[] => up.bill.received.filter((r) => !r.url.includes('/count_tokens')).map((r) => String(r.body?.model));
const requests = (steps: StepOutcome[]): RequestOutcome[] => steps.filter((s): s is RequestOutcome => s.kind === 'request');

/**
 * What Claude Code does: a cheap background call without tools first (it never selects the run's
 * model), then the main loop on sonnet (with tools: this selects it), then a request for opus,
 * then haiku again and sonnet again.
 */
const SESSION: AgentStep[] = [{ model: HAIKU, tools: [] }, { model: SONNET }, { model: OPUS }, { model: HAIKU, tools: [] }, { model: SONNET }];

async function session(flags: string[]) {
  upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 50 }) });
  const run = await runAnthropicAgent(flags, SESSION, { env: { ANTHROPIC_BASE_URL: upstream.url } });
  return { run, up: upstream, outcomes: requests(run.steps) };
}

describe('escalation to a pricier model, without a terminal', () => {
  it('--escalation deny sends the request on the selected model, and says so', async () => {
    const { run, up, outcomes } = await session(['--escalation', 'deny']);
    expect(run.code, run.stderr).toBe(0);
    // The opus request reached the upstream as sonnet; haiku (cheaper) was never rewritten.
    expect(sentModels(up)).toEqual([HAIKU, SONNET, SONNET, HAIKU, SONNET]);
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200, 200, 200]);
    expect(outcomes[2]).toMatchObject({ requested: OPUS, model: DATED[SONNET] });
    expect(outcomes[3]).toMatchObject({ requested: HAIKU, model: DATED[HAIKU] });
    // Only the model changed: the rest of the request is the agent's.
    expect(up.bill.requests[2]).toMatchObject({ maxTokens: 1024, tools: ['Bash', 'Edit'] });
    const rewritten = up.bill.received[2]!.body!;
    expect(rewritten.stream).toBe(true);
    expect(rewritten.messages).toHaveLength(5);
    expect((rewritten.messages as unknown[]).at(-1)).toEqual({ role: 'user', content: 'Continue.' });
    expect(run.stderr).toContain(`capped: requests for ${OPUS} are sent to ${SONNET}`);
    const record = run.record!;
    expect(record.policy).toMatchObject({ escalation: 'deny', model: SONNET });
    expect(record.approvals).toEqual([{ kind: 'escalation', at: expect.any(String) as string, answer: 'denied', from: 1, to: 1, model: OPUS }]);
    expect(Object.keys(record.models).sort()).toEqual([DATED[HAIKU], DATED[SONNET]]);
    expect(record.models[DATED[SONNET]!]!.requests).toBe(3);
    expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
    expect(record.hardStop).toBeNull();
  });

  it('--escalation-deny refuse: a non-retryable 4xx in Anthropic’s shape naming both models, and the run goes on', async () => {
    const { run, up, outcomes } = await session(['--escalation', 'deny', '--escalation-deny', 'refuse']);
    expect(run.code, run.stderr).toBe(0);
    expect(sentModels(up)).toEqual([HAIKU, SONNET, HAIKU, SONNET]);
    const refused = outcomes[2]!;
    expect(refused.requested).toBe(OPUS);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect([408, 409, 429]).not.toContain(refused.status);
    // The SDK parsed Anthropic's {type: 'error', error: {type, message}} and did not retry it
    // (maxRetries is the SDK default of 2).
    expect(refused.error?.type).toBe('billing_error');
    expect(refused.error?.shouldRetry).toBe('false');
    expect(refused.attempts).toBe(1);
    expect(refused.error?.message).toContain(SONNET);
    expect(refused.error?.message).toContain(OPUS);
    expect(refused.error?.message).toMatch(/--escalation allow/);
    // Later requests went through: a refused escalation is no hard stop.
    expect(outcomes.slice(3).map((o) => o.status)).toEqual([200, 200]);
    expect(run.stderr).toContain(`refused: this run uses ${SONNET}; ${OPUS} costs more`);
    const record = run.record!;
    expect(record.hardStop).toBeNull();
    expect(record.exitCode).toBe(0);
    expect(record.spent.requests).toBe(4);
    expect(record.approvals).toEqual([{ kind: 'escalation', at: expect.any(String) as string, answer: 'denied', from: 1, to: 1, model: OPUS }]);
    expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
  });

  it('--escalation allow lets opus through within the same cap', async () => {
    const { run, up, outcomes } = await session(['--escalation', 'allow']);
    expect(run.code, run.stderr).toBe(0);
    expect(sentModels(up)).toEqual([HAIKU, SONNET, OPUS, HAIKU, SONNET]);
    expect(outcomes[2]).toMatchObject({ status: 200, model: DATED[OPUS] });
    expect(run.stderr).not.toMatch(/are sent to/);
    const record = run.record!;
    expect(record.policy.escalation).toBe('allow');
    expect(record.models[DATED[OPUS]!]).toMatchObject({ requests: 1 });
    expect(record.budget.usd).toBe(1);
    expect(record.approvals).toEqual([]);
  });

  it('--escalation ask without a TTY acts as deny', async () => {
    const { run, up, outcomes } = await session(['--escalation', 'ask']);
    expect(run.code, run.stderr).toBe(0);
    expect(sentModels(up)).toEqual([HAIKU, SONNET, SONNET, HAIKU, SONNET]);
    expect(outcomes[2]).toMatchObject({ status: 200, model: DATED[SONNET] });
    expect(run.stderr).toContain(`capped: requests for ${OPUS} are sent to ${SONNET}`);
    // The policy the run was held to: nobody could be asked.
    expect(run.record!.policy.escalation).toBe('deny');
    // never silent: the denial is in the record
    expect(run.record!.approvals).toMatchObject([{ kind: 'escalation', answer: 'denied', model: OPUS }]);
  });

  it('--model selects the model before any request: a first request for opus is sent on it', async () => {
    upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 50 }) });
    const run = await runAnthropicAgent(
      ['--model', SONNET, '--escalation', 'deny'],
      [{ model: OPUS }, { model: HAIKU, tools: [] }, { model: OPUS, stream: false }],
      {
        env: { ANTHROPIC_BASE_URL: upstream.url },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(sentModels(upstream)).toEqual([SONNET, HAIKU, SONNET]);
    expect(requests(run.steps).map((o) => o.model)).toEqual([DATED[SONNET], DATED[HAIKU], DATED[SONNET]]);
    expect(run.record!.policy.model).toBe(SONNET);
  });

  // A --model capped has no price for (a typo) could never become the selected model, which
  // would silently turn escalation control off: it is refused at start instead.
  it('a mistyped --model does not silently turn escalation control off', async () => {
    upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 50 }) });
    const run = await runAnthropicAgent(['--model', 'claude-sonet-4-5', '--escalation', 'deny'], [{ model: SONNET }, { model: OPUS }], {
      env: { ANTHROPIC_BASE_URL: upstream.url },
    });
    expect(run.code === 2 || !sentModels(upstream).includes(OPUS), run.stderr).toBe(true);
  });

  it('the openai SDK: a request for a pricier model goes to the selected one', async () => {
    openai = await startFakeOpenAI();
    const run = await runOpenAIAgent(['--model', 'gpt-4.1-mini', '--escalation', 'deny'], [{ model: 'gpt-4.1' }, { model: 'gpt-4o-mini', stream: false }], {
      env: { OPENAI_BASE_URL: openai.baseUrl },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(openai.bill.requests.map((r) => r.model)).toEqual(['gpt-4.1-mini', 'gpt-4o-mini']);
    expect(run.steps.map((s) => [s.status, s.model])).toEqual([
      [200, 'gpt-4.1-mini'],
      [200, 'gpt-4o-mini'],
    ]);
    expect(run.stderr).toContain('capped: requests for gpt-4.1 are sent to gpt-4.1-mini');
    expect(run.record!.spent.usd).toBeCloseTo(openai.billedUsd(), 9);
  });
});

describe('--on-limit downgrade', () => {
  const CAP = 0.05;

  it('continues on the cheaper model once sonnet no longer fits, then stops at the cap', async () => {
    upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 400 }) });
    const run = await runAnthropicAgent(['--max-usd', String(CAP), '--on-limit', 'downgrade', '--downgrade-to', HAIKU], [{ model: SONNET }], {
      env: { ANTHROPIC_BASE_URL: upstream.url },
      loop: true,
      pad: 2000,
    });
    expect(run.code, run.stderr).toBe(3);
    const sent = upstream.bill.requests;
    const firstHaiku = sent.findIndex((r) => r.model === HAIKU);
    expect(firstHaiku, JSON.stringify(sent.map((r) => r.model))).toBeGreaterThan(0);
    // Sonnet until the downgrade, haiku from then on; every request was for sonnet.
    expect(sent.slice(0, firstHaiku).every((r) => r.model === SONNET)).toBe(true);
    expect(sent.slice(firstHaiku).every((r) => r.model === HAIKU)).toBe(true);
    expect(sent.every((r) => r.maxTokens <= 1024)).toBe(true);
    // Near the cap the output ceiling was lowered to what the budget pays for.
    expect(sent.some((r) => r.maxTokens < 1024)).toBe(true);
    const outcomes = requests(run.steps);
    expect(outcomes.every((o) => o.requested === SONNET)).toBe(true);
    expect(outcomes.some((o) => o.status === 200 && o.model === DATED[HAIKU])).toBe(true);
    expect(outcomes.at(-1)!.status).toBe(402);
    expect(outcomes.at(-1)!.error?.message).toMatch(/spending cap of \$0\.05/);
    expect(run.stderr).toContain(`capped: requests for ${SONNET} are sent to ${HAIKU}`);

    const billed = upstream.billedUsd();
    expect(billed).toBeLessThanOrEqual(CAP);
    const record = run.record!;
    expect(record.spent.usd).toBeCloseTo(billed, 9);
    expect(record.policy).toMatchObject({ onLimit: 'downgrade', downgradeTo: HAIKU });
    expect(record.approvals).toHaveLength(1);
    expect(record.approvals[0]).toMatchObject({ kind: 'downgrade', answer: 'automatic', model: HAIKU, from: CAP, to: CAP });
    expect(record.exceededInitialBudget).toBe(true);
    expect(record.hardStop?.reason).toBe('usd');
    expect(record.models[DATED[HAIKU]!]!.requests).toBe(sent.length - firstHaiku);
    expect(record.models[DATED[SONNET]!]!.requests).toBe(firstHaiku);
  });

  // A downgrade only ever makes a request cheaper: with an opus main loop and --downgrade-to
  // sonnet, the haiku background calls stay haiku.
  it('never rewrites a request for a cheaper model up to the downgrade model', async () => {
    upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 50 }) });
    // $0.007 cannot pay for 256 opus output tokens on top of its input: the first request is downgraded at once.
    const run = await runAnthropicAgent(
      ['--max-usd', '0.007', '--on-limit', 'downgrade', '--downgrade-to', SONNET],
      [{ model: OPUS }, { model: HAIKU, tools: [] }],
      {
        env: { ANTHROPIC_BASE_URL: upstream.url },
        pad: 0,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.record!.approvals).toMatchObject([{ kind: 'downgrade', model: SONNET }]);
    expect(sentModels(upstream)[0]).toBe(SONNET);
    expect(sentModels(upstream)).toEqual([SONNET, HAIKU]);
  });

  // The start line names the limit behaviour in force, not always "stop".
  it('the start line names the limit behaviour in force', async () => {
    const run = await runCappedIn(['run', '--on-limit', 'downgrade', '--downgrade-to', HAIKU, '--', process.execPath, '-e', '0']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n')[0]).toContain('on limit: downgrade');
  });
});
