import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, exceededInitialBudget, initialState, step } from '../../../src/budget/engine.js';
import { BudgetKeeper } from '../../../src/budget/keeper.js';
import type { BudgetAction, BudgetEvent, BudgetState, EnginePolicy, Quote, RequestEvent } from '../../../src/budget/types.js';

const SONNET: Quote = { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: 15_000_000 };
const OPUS: Quote = { inputTokens: 1000, inputNano: 5_000_000, outPicoPerToken: 25_000_000 };
const HAIKU: Quote = { inputTokens: 1000, inputNano: 1_000_000, outPicoPerToken: 5_000_000 };
const T = '2026-01-01T00:00:00.000Z';
const DOLLAR = 1_000_000_000;

const policy = (p: Partial<EnginePolicy>): EnginePolicy => ({ ...DEFAULT_POLICY, ...p });
const start = (p: Partial<EnginePolicy>, usd = DOLLAR): BudgetState => initialState({ usd, tokens: null, actions: null }, policy(p));

function req(id: string, model: string, quote: Quote, extra: Partial<RequestEvent> = {}): RequestEvent {
  return { type: 'request', id, at: T, model, quote, maxTokens: 1000, mainLoop: true, ...extra };
}

function run(state: BudgetState, ...events: BudgetEvent[]): { state: BudgetState; actions: BudgetAction[] } {
  let s = state;
  let actions: BudgetAction[] = [];
  for (const e of events) ({ state: s, actions } = step(s, e));
  return { state: s, actions };
}

const settle = (id: string, model: string, costNano: number): BudgetEvent => ({
  type: 'settle',
  id,
  at: T,
  model,
  usage: { input: 1000, output: 100, cacheRead: 0, cacheWrite: 0 },
  costNano,
  estimated: false,
});

describe('the selected model', () => {
  it('is the first main-loop request’s model; background calls never select it', () => {
    const { state } = run(start({}), req('bg', 'claude-haiku-4-5', HAIKU, { mainLoop: false }), req('main', 'claude-sonnet-4-5', SONNET));
    expect(state.selected).toEqual({ model: 'claude-sonnet-4-5', outPicoPerToken: 15_000_000 });
  });

  it('is the configured model when one is set, priced from the alternative quote', () => {
    const { state } = run(
      start({ model: 'claude-sonnet-4-5', escalation: 'deny' }),
      req('q', 'claude-opus-4-5', OPUS, { alternatives: { selected: { model: 'claude-sonnet-4-5', quote: SONNET } } }),
    );
    expect(state.selected?.model).toBe('claude-sonnet-4-5');
  });
});

describe('escalation', () => {
  const opusAsk = (): RequestEvent => req('q2', 'claude-opus-4-5', OPUS, { alternatives: { selected: { model: 'claude-sonnet-4-5', quote: SONNET } } });

  it('allow: a pricier model goes through inside the same ceiling', () => {
    const { actions } = run(start({ escalation: 'allow' }), req('q1', 'claude-sonnet-4-5', SONNET), opusAsk());
    expect(actions[0]).toMatchObject({ type: 'forward', id: 'q2', model: null });
  });

  it('deny with send-selected: the request is sent on the selected model instead', () => {
    const { state, actions } = run(start({ escalation: 'deny' }), req('q1', 'claude-sonnet-4-5', SONNET), opusAsk());
    expect(actions[0]).toMatchObject({ type: 'forward', id: 'q2', model: 'claude-sonnet-4-5' });
    expect(state.reserved.q2?.model).toBe('claude-sonnet-4-5');
  });

  it('deny with refuse: the request is refused but the run goes on', () => {
    const { state, actions } = run(start({ escalation: 'deny', escalationDeny: 'refuse' }), req('q1', 'claude-sonnet-4-5', SONNET), opusAsk());
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ type: 'refuse', limit: 'escalation' });
    expect((actions[0] as { message: string }).message).toContain('claude-opus-4-5 costs more');
    expect(state.hardStop).toBeNull();
  });

  it('a cheaper model is never an escalation', () => {
    const { actions } = run(
      start({ escalation: 'deny', escalationDeny: 'refuse' }),
      req('q1', 'claude-sonnet-4-5', SONNET),
      req('q2', 'claude-haiku-4-5', HAIKU),
    );
    expect(actions[0]).toMatchObject({ type: 'forward', model: null });
  });

  it('ask: holds the request and proposes a ceiling scaled by the price ratio; approval switches the model', () => {
    const asked = run(start({ escalation: 'ask' }, 750_000_000), req('q1', 'claude-sonnet-4-5', SONNET), opusAsk());
    expect(asked.actions).toEqual([
      {
        type: 'ask',
        id: 'q2',
        kind: 'escalation',
        limit: null,
        from: 750_000_000,
        to: 1_250_000_000,
        model: 'claude-opus-4-5',
        question: 'The agent asks for claude-opus-4-5, pricier than claude-sonnet-4-5. Switch to claude-opus-4-5 and raise max spend from $0.75 to $1.25?',
      },
    ]);
    const approved = run(asked.state, { type: 'answer', id: 'q2', at: T, approve: true });
    expect(approved.actions[0]).toMatchObject({ type: 'forward', id: 'q2', model: null });
    expect(approved.state.caps.usd).toBe(1_250_000_000);
    expect(approved.state.selected?.model).toBe('claude-opus-4-5');
    expect(approved.state.approvals).toEqual([
      { kind: 'escalation', at: T, answer: 'approved', from: 750_000_000, to: 1_250_000_000, model: 'claude-opus-4-5' },
    ]);
    expect(approved.state.pending).toEqual({});
  });

  it('ask answered no: behaves as deny', () => {
    const asked = run(start({ escalation: 'ask' }), req('q1', 'claude-sonnet-4-5', SONNET), opusAsk());
    const denied = run(asked.state, { type: 'answer', id: 'q2', at: T, approve: false });
    expect(denied.actions[0]).toMatchObject({ type: 'forward', id: 'q2', model: 'claude-sonnet-4-5' });
    expect(denied.state.approvals[0]).toMatchObject({ kind: 'escalation', answer: 'denied', from: DOLLAR, to: DOLLAR });
    expect(denied.state.caps.usd).toBe(DOLLAR);
  });
});

describe('at the limit', () => {
  // $0.02 cap: one request reserves $0.003 + 1000 × $0.000015 = $0.018; the second does not fit.
  const CAP = 20_000_000;

  it('ask: holds the request and proposes the initial budget again; approval raises the cap and forwards', () => {
    const first = run(start({ onLimit: 'ask' }, CAP), req('q1', 'm', SONNET), settle('q1', 'm', 18_000_000));
    const asked = run(first.state, req('q2', 'm', SONNET));
    expect(asked.actions).toEqual([
      {
        type: 'ask',
        id: 'q2',
        kind: 'limit',
        limit: 'usd',
        from: CAP,
        to: 2 * CAP,
        model: 'm',
        question: 'Budget reached: $0.0180 of $0.02 spent. Raise max spend from $0.02 to $0.04?',
      },
    ]);
    expect(asked.state.hardStop).toBeNull();
    const approved = run(asked.state, { type: 'answer', id: 'q2', at: T, approve: true });
    expect(approved.actions[0]).toMatchObject({ type: 'forward', id: 'q2' });
    expect(approved.state.caps.usd).toBe(2 * CAP);
    expect(exceededInitialBudget(approved.state)).toBe(true);
  });

  it('ask with a typed amount adds that amount instead', () => {
    const asked = run(start({ onLimit: 'ask' }, CAP), req('q1', 'm', SONNET), settle('q1', 'm', 18_000_000), req('q2', 'm', SONNET));
    const approved = run(asked.state, { type: 'answer', id: 'q2', at: T, approve: true, addNano: 50_000_000 });
    expect(approved.state.caps.usd).toBe(CAP + 50_000_000);
    expect(approved.state.approvals[0]).toMatchObject({ kind: 'limit', answer: 'approved', from: CAP, to: CAP + 50_000_000 });
  });

  it('ask answered no: a hard stop', () => {
    const asked = run(start({ onLimit: 'ask' }, CAP), req('q1', 'm', SONNET), settle('q1', 'm', 18_000_000), req('q2', 'm', SONNET));
    const denied = run(asked.state, { type: 'answer', id: 'q2', at: T, approve: false });
    expect(denied.actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(denied.state.hardStop?.reason).toBe('usd');
  });

  it('asks one question at a time: a second request at the limit waits', () => {
    const asked = run(start({ onLimit: 'ask' }, CAP), req('q1', 'm', SONNET), settle('q1', 'm', 18_000_000), req('q2', 'm', SONNET));
    expect(run(asked.state, req('q3', 'm', SONNET)).actions).toEqual([{ type: 'defer', id: 'q3' }]);
  });

  it('downgrade: continues on the cheaper model within what is left, and stays there', () => {
    const down = { downgrade: { model: 'claude-haiku-4-5', quote: HAIKU } };
    const first = run(
      start({ onLimit: 'downgrade', downgradeTo: 'claude-haiku-4-5' }, CAP),
      req('q1', 'claude-sonnet-4-5', SONNET, { alternatives: down }),
      settle('q1', 'claude-sonnet-4-5', 15_000_000),
    );
    const second = run(first.state, req('q2', 'claude-sonnet-4-5', SONNET, { alternatives: down, maxTokens: 500 }));
    expect(second.actions[0]).toMatchObject({ type: 'forward', id: 'q2', model: 'claude-haiku-4-5' });
    expect(second.state.downgradedTo).toBe('claude-haiku-4-5');
    expect(second.state.approvals).toEqual([{ kind: 'downgrade', at: T, answer: 'automatic', from: CAP, to: CAP, model: 'claude-haiku-4-5' }]);
    expect(exceededInitialBudget(second.state)).toBe(true);
    // later requests go to the cheaper model without another limit
    const third = run(
      second.state,
      settle('q2', 'claude-haiku-4-5', 1_000_000),
      req('q3', 'claude-sonnet-4-5', SONNET, { alternatives: down, maxTokens: 300 }),
    );
    expect(third.actions[0]).toMatchObject({ type: 'forward', model: 'claude-haiku-4-5' });
  });

  it('downgrade that still does not fit: a hard stop', () => {
    const down = { downgrade: { model: 'claude-haiku-4-5', quote: HAIKU } };
    const { actions, state } = run(
      start({ onLimit: 'downgrade', downgradeTo: 'claude-haiku-4-5' }, CAP),
      req('q1', 'm', SONNET),
      settle('q1', 'm', 19_900_000),
      req('q2', 'm', SONNET, { alternatives: down }),
    );
    expect(actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(state.downgradedTo).toBe('claude-haiku-4-5');
  });
});

describe('the verification phase', () => {
  it('spends against its own ceiling and attributes spend by phase', () => {
    const s0 = start({ verifyNano: 10_000_000 });
    const impl = run(s0, req('q1', 'm', SONNET, { maxTokens: 100 }), settle('q1', 'm', 4_000_000));
    expect(impl.state.phaseSpent).toEqual({ implementation: 4_000_000, verification: 0 });
    const verifying = run(impl.state, { type: 'phase', phase: 'verification', at: T });
    expect(verifying.actions).toEqual([{ type: 'phase-changed', phase: 'verification' }]);
    // $0.01 verify ceiling: $0.003 input leaves 466 output tokens at $15/M.
    const clamped = run(verifying.state, req('q2', 'm', SONNET));
    expect(clamped.actions[0]).toMatchObject({ type: 'forward', maxTokens: 466 });
    const spent = run(clamped.state, settle('q2', 'm', 9_000_000));
    expect(spent.state.phaseSpent).toEqual({ implementation: 4_000_000, verification: 9_000_000 });
    expect(spent.state.mostExpensive?.phase).toBe('verification');
    const limit = run(spent.state, req('q3', 'm', SONNET));
    expect(limit.actions[0]).toMatchObject({ type: 'refuse', limit: 'verify' });
    expect((limit.actions[0] as { message: string }).message).toContain('--verify-usd');
    // back to implementing: the run's own cap applies again
    const back = run(
      start({ verifyNano: 10_000_000 }),
      { type: 'phase', phase: 'verification', at: T },
      { type: 'phase', phase: 'implementation', at: T },
      req('q4', 'm', SONNET),
    );
    expect(back.actions[0]).toMatchObject({ type: 'forward', maxTokens: null });
  });
});

describe('BudgetKeeper with questions', () => {
  it('holds an asked request until answered, then forwards it', async () => {
    const keeper = new BudgetKeeper({ usd: 20_000_000, tokens: null, actions: null }, policy({ onLimit: 'ask' }));
    const asks: string[] = [];
    keeper.onAction((a) => {
      if (a.type === 'ask') asks.push(a.id);
    });
    await keeper.admit(req('q1', 'm', SONNET));
    keeper.dispatch(settle('q1', 'm', 18_000_000));
    const held = keeper.admit(req('q2', 'm', SONNET));
    expect(asks).toEqual(['q2']);
    // settling other requests does not re-ask or release it
    keeper.dispatch({ type: 'phase', phase: 'verification', at: T });
    expect(asks).toEqual(['q2']);
    keeper.answer('q2', T, true);
    await expect(held).resolves.toMatchObject({ type: 'forward', id: 'q2' });
  });

  it('withdraws the question when the client goes away, and never forwards', async () => {
    const keeper = new BudgetKeeper({ usd: 20_000_000, tokens: null, actions: null }, policy({ onLimit: 'ask' }));
    const seen: string[] = [];
    keeper.onAction((a) => seen.push(a.type));
    await keeper.admit(req('q1', 'm', SONNET));
    keeper.dispatch(settle('q1', 'm', 18_000_000));
    const held = keeper.admit(req('q2', 'm', SONNET));
    keeper.cancel('q2');
    await expect(held).resolves.toBeNull();
    expect(seen).toContain('ask-closed');
    expect(keeper.state.pending).toEqual({});
    keeper.answer('q2', T, true);
    expect(seen.filter((t) => t === 'forward')).toHaveLength(1);
  });
});

describe('idle: nobody at the keyboard', () => {
  it('holds the next request with a question; continue resumes, and a keystroke alone never does', () => {
    const idle = run(start({}), { type: 'idle', at: T });
    expect(idle.state.idle).toBe(true);
    const asked = run(idle.state, req('q1', 'm', SONNET));
    expect(asked.actions).toEqual([
      {
        type: 'ask',
        id: 'q1',
        kind: 'idle',
        limit: 'idle',
        from: DOLLAR,
        to: DOLLAR,
        model: 'm',
        question: 'Paused: nobody has typed for a while and the agent wants to call m. Continue?',
      },
    ]);
    // a second request waits behind the question
    expect(run(asked.state, req('q2', 'm', SONNET)).actions).toEqual([{ type: 'defer', id: 'q2' }]);
    const resumed = run(asked.state, { type: 'answer', id: 'q1', at: T, approve: true });
    expect(resumed.actions[0]).toMatchObject({ type: 'forward', id: 'q1' });
    expect(resumed.state.idle).toBe(false);
    expect(resumed.state.approvals).toEqual([{ kind: 'idle', at: T, answer: 'approved', from: DOLLAR, to: DOLLAR }]);
    expect(exceededInitialBudget(resumed.state)).toBe(false);
  });

  it('stop ends the run as a hard stop with reason idle', () => {
    const asked = run(start({}), { type: 'idle', at: T }, req('q1', 'm', SONNET));
    const stopped = run(asked.state, { type: 'answer', id: 'q1', at: T, approve: false });
    expect(stopped.actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(stopped.state.hardStop?.reason).toBe('idle');
    expect((stopped.actions[0] as { message: string }).message).toContain('--unattended');
  });
});

describe('policy reload while running', () => {
  const caps = (usd: number) => ({ usd, tokens: null, actions: null });

  it('applies a lowered cap at the next request', () => {
    const s0 = run(start({}, DOLLAR), req('q1', 'm', SONNET), settle('q1', 'm', 10_000_000)).state;
    const lowered = run(s0, { type: 'policy', at: T, caps: caps(12_000_000), policy: s0.policy });
    expect(lowered.state.caps.usd).toBe(12_000_000);
    expect(lowered.state.initialCaps.usd).toBe(DOLLAR);
    expect(run(lowered.state, req('q2', 'm', SONNET)).actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
  });

  it('lets a request held at the limit go on when the cap is raised', () => {
    const asked = run(start({ onLimit: 'ask' }, 20_000_000), req('q1', 'm', SONNET), settle('q1', 'm', 18_000_000), req('q2', 'm', SONNET));
    expect(asked.actions[0]).toMatchObject({ type: 'ask', id: 'q2' });
    const raised = run(asked.state, { type: 'policy', at: T, caps: caps(100_000_000), policy: asked.state.policy });
    expect(raised.actions.map((a) => a.type)).toEqual(['ask-closed', 'forward']);
    expect(raised.state.pending).toEqual({});
  });

  it('records a raise made by editing the policy, and keeps raises approved at the terminal', () => {
    const asked = run(start({ onLimit: 'ask' }, 20_000_000), req('q1', 'm', SONNET), settle('q1', 'm', 18_000_000), req('q2', 'm', SONNET));
    const approved = run(asked.state, { type: 'answer', id: 'q2', at: T, approve: true });
    expect(approved.state.caps.usd).toBe(40_000_000);
    // the file goes from $0.02 to $0.05: the $0.02 approved at the terminal stays on top
    const reloaded = run(approved.state, { type: 'policy', at: T, caps: caps(50_000_000), policy: approved.state.policy });
    expect(reloaded.state.caps.usd).toBe(70_000_000);
    expect(reloaded.state.approvals.at(-1)).toEqual({ kind: 'limit', at: T, answer: 'approved', from: 40_000_000, to: 70_000_000 });
    expect(exceededInitialBudget(reloaded.state)).toBe(true);
  });
});

describe('idle: a tool call that streams in while nobody is at the keyboard', () => {
  it('is held with a question naming the tool; continue lets it through and counts it', () => {
    const streaming = run(start({}), req('q1', 'm', SONNET), { type: 'idle', at: T });
    const held = run(streaming.state, { type: 'tool-call', id: 'q1', at: T, tool: 'Bash' });
    expect(held.actions).toEqual([
      {
        type: 'ask',
        id: 'q1#tool',
        kind: 'idle',
        limit: 'idle',
        question: 'Paused: nobody has typed for a while. The agent wants to run:',
        detail: '`Bash`',
        from: DOLLAR,
        to: DOLLAR,
        model: '',
      },
    ]);
    expect(held.state.actions).toBe(0);
    const resumed = run(held.state, { type: 'answer', id: 'q1#tool', at: T, approve: true });
    expect(resumed.actions).toEqual([{ type: 'allow-tool', id: 'q1' }]);
    expect(resumed.state.actions).toBe(1);
    expect(resumed.state.idle).toBe(false);
  });

  it('stop withholds it and ends the run', () => {
    const held = run(start({}), req('q1', 'm', SONNET), { type: 'idle', at: T }, { type: 'tool-call', id: 'q1', at: T });
    const stopped = run(held.state, { type: 'answer', id: 'q1#tool', at: T, approve: false });
    expect(stopped.actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(stopped.actions[0]).toMatchObject({ id: 'q1', limit: 'idle' });
  });

  it('the keeper holds the tool call until the answer', async () => {
    const keeper = new BudgetKeeper({ usd: DOLLAR, tokens: null, actions: null }, policy({}));
    await keeper.admit(req('q1', 'm', SONNET));
    keeper.dispatch({ type: 'idle', at: T });
    const verdict = keeper.toolCall('q1', T, 'Bash');
    if (!('hold' in verdict)) throw new Error('expected a hold');
    let settled = false;
    void verdict.hold.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    keeper.answer('q1#tool', T, true);
    await expect(verdict.hold).resolves.toEqual({ allowed: true });
    // not idle any more: the next one passes at once
    expect(keeper.toolCall('q1', T, 'Bash')).toEqual({ allowed: true });
  });
});
