import { describe, expect, it } from 'vitest';
import { availableNano, availableTokens, DEFAULT_POLICY, initialState, MIN_OUTPUT_TOKENS, step } from '../../../src/budget/engine.js';
import { costOfTokens } from '../../../src/budget/money.js';
import type { BudgetAction, BudgetEvent, BudgetState, Caps, Quote, TokenUsage } from '../../../src/budget/types.js';
import { mulberry32, randInt } from '../helpers/prng.js';

const MODEL = 'claude-sonnet-4-5';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';
const T2 = '2026-01-01T00:02:00.000Z';

/** claude-sonnet-4-5 at 1,000 input tokens: $0.003 of input, $15 per million output tokens. */
const SONNET: Quote = { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: 15_000_000 };
/** One output token at the SONNET rate, in nano-dollars. */
const PER_TOKEN = 15_000;

const usdCap = (nano: number): Caps => ({ usd: nano, tokens: null, actions: null });
const tokenCap = (tokens: number): Caps => ({ usd: null, tokens, actions: null });

function request(id: string, opts: { quote?: Quote; maxTokens?: number; model?: string; at?: string; clampable?: boolean } = {}): BudgetEvent {
  const event: BudgetEvent = {
    type: 'request',
    id,
    at: opts.at ?? T0,
    model: opts.model ?? MODEL,
    quote: opts.quote ?? SONNET,
    maxTokens: opts.maxTokens ?? 4096,
  };
  if (opts.clampable !== undefined) event.clampable = opts.clampable;
  return event;
}

function settle(id: string, costNano: number, opts: { usage?: Partial<TokenUsage>; model?: string; at?: string; estimated?: boolean } = {}): BudgetEvent {
  return {
    type: 'settle',
    id,
    at: opts.at ?? T1,
    model: opts.model ?? MODEL,
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, ...opts.usage },
    costNano,
    estimated: opts.estimated ?? false,
  };
}

/** Applies events in order; returns the final state and the actions of the last event. */
function apply(state: BudgetState, ...events: BudgetEvent[]): { state: BudgetState; actions: BudgetAction[]; all: BudgetAction[] } {
  let current = state;
  let actions: BudgetAction[] = [];
  const all: BudgetAction[] = [];
  for (const event of events) {
    const result = step(current, event);
    current = result.state;
    actions = result.actions;
    all.push(...result.actions);
  }
  return { state: current, actions, all };
}

function reservedNano(state: BudgetState): number {
  return Object.values(state.reserved).reduce((sum, r) => sum + r.nano, 0);
}

describe('initialState', () => {
  it('starts with nothing spent, reserved or recorded', () => {
    const caps = { usd: 1_000_000_000, tokens: 50_000, actions: 7 };
    expect(initialState(caps)).toEqual({
      caps,
      initialCaps: caps,
      configCaps: caps,
      policy: DEFAULT_POLICY,
      initialPolicy: DEFAULT_POLICY,
      phase: 'implementation',
      phaseSpent: { implementation: 0, verification: 0 },
      selected: null,
      downgradedTo: null,
      approvals: [],
      pending: {},
      idle: false,
      guards: { loop: null, scopeFiles: 0 },
      spentNano: 0,
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      requests: 0,
      actions: 0,
      reserved: {},
      models: {},
      mostExpensive: null,
      hardStop: null,
      estimated: false,
    });
    expect(availableNano(initialState(caps))).toBe(1_000_000_000);
    expect(availableTokens(initialState(caps))).toBe(50_000);
  });

  it('reports null availability for uncapped dimensions', () => {
    const state = initialState({ usd: null, tokens: null, actions: null });
    expect(availableNano(state)).toBeNull();
    expect(availableTokens(state)).toBeNull();
  });
});

describe('reserve', () => {
  it('forwards a request that fits and reserves input plus the whole output ceiling', () => {
    const before = initialState(usdCap(1_000_000_000));
    const { state, actions } = apply(before, request('q1'));
    const nano = 3_000_000 + 4096 * PER_TOKEN; // 64_440_000
    expect(actions).toEqual([{ type: 'forward', id: 'q1', maxTokens: null, model: null, reservedNano: nano }]);
    expect(state.reserved).toEqual({ q1: { model: MODEL, nano, tokens: 1000 + 4096, allowedOut: 4096, outPicoPerToken: 15_000_000, phase: 'implementation' } });
    expect(state.spentNano).toBe(0);
    expect(availableNano(state)).toBe(1_000_000_000 - nano);
    // the engine is pure: the earlier state is untouched
    expect(before.reserved).toEqual({});
  });

  it('rounds the output part of a reservation up to whole nano-dollars', () => {
    // 3 tokens at 1_234_567 pico = 3_703.701 nano -> 3_704
    const quote: Quote = { inputTokens: 10, inputNano: 7, outPicoPerToken: 1_234_567 };
    const { state, actions } = apply(initialState(usdCap(1_000_000_000)), request('q1', { quote, maxTokens: 3 }));
    expect(state.reserved.q1?.nano).toBe(7 + 3704);
    expect(actions[0]).toMatchObject({ type: 'forward', reservedNano: 3711 });

    // a fraction of a nano still reserves one whole nano
    const tiny: Quote = { inputTokens: 1, inputNano: 0, outPicoPerToken: 333 };
    const second = apply(initialState(usdCap(1_000_000_000)), request('q2', { quote: tiny, maxTokens: 1 }));
    expect(second.state.reserved.q2?.nano).toBe(1);
  });

  it('forwards the full ceiling when nothing is capped, still tracking the reservation', () => {
    const { state, actions } = apply(initialState({ usd: null, tokens: null, actions: null }), request('q1', { maxTokens: 64_000 }));
    expect(actions).toEqual([{ type: 'forward', id: 'q1', maxTokens: null, model: null, reservedNano: 3_000_000 + 64_000 * PER_TOKEN }]);
    expect(Object.keys(state.reserved)).toEqual(['q1']);
  });

  it('reserves against what concurrent requests already hold', () => {
    const { state } = apply(initialState(usdCap(1_000_000_000)), request('q1'), request('q2'), request('q3'));
    expect(reservedNano(state)).toBe(3 * (3_000_000 + 4096 * PER_TOKEN));
    expect(availableNano(state)).toBe(1_000_000_000 - 3 * 64_440_000);
  });

  it('leaves one request’s own reservation out of the headroom when asked, as if it were not held', () => {
    const caps: Caps = { usd: 1_000_000_000, tokens: 100_000, actions: null };
    const { state } = apply(initialState(caps), request('q1'), request('q2'), request('q3'));
    const { q2: _held, ...others } = state.reserved;
    const withoutQ2: BudgetState = { ...state, reserved: others };
    expect(availableNano(state, 'q2')).toBe(availableNano(withoutQ2));
    expect(availableTokens(state, 'q2')).toBe(availableTokens(withoutQ2));
    expect(availableNano(state, 'q2')).toBe(1_000_000_000 - 2 * 64_440_000);
    // An id that holds nothing changes nothing.
    expect(availableNano(state, 'gone')).toBe(availableNano(state));
  });
});

describe('clamp', () => {
  it('lowers maxTokens to exactly what the remaining budget affords', () => {
    // affords 1000 output tokens and 14_999 nano more: not enough for a 1001st token
    const cap = 3_000_000 + 1000 * PER_TOKEN + 14_999;
    const { state, actions } = apply(initialState(usdCap(cap)), request('q1'));
    expect(actions).toEqual([{ type: 'forward', id: 'q1', maxTokens: 1000, model: null, reservedNano: 3_000_000 + 1000 * PER_TOKEN }]);
    expect(state.reserved.q1).toEqual({ model: MODEL, nano: 18_000_000, tokens: 2000, allowedOut: 1000, outPicoPerToken: 15_000_000, phase: 'implementation' });
    expect(availableNano(state)).toBe(14_999);

    const oneMore = apply(initialState(usdCap(cap + 1)), request('q1'));
    expect(oneMore.actions[0]).toMatchObject({ type: 'forward', maxTokens: 1001, reservedNano: 3_000_000 + 1001 * PER_TOKEN });
  });

  it('never clamps above or below the affordable token count, for awkward rates', () => {
    const quote: Quote = { inputTokens: 777, inputNano: 1_234_567, outPicoPerToken: 3_333_333 };
    for (const extra of [1_000_000, 1_000_001, 3_333_333, 3_333_334, 7_777_777, 12_345_678]) {
      const cap = quote.inputNano + extra;
      const { state, actions } = apply(initialState(usdCap(cap)), request('q', { quote, maxTokens: 64_000 }));
      const forward = actions[0];
      if (forward?.type !== 'forward') throw new Error(`expected forward, got ${JSON.stringify(actions)}`);
      const allowed = forward.maxTokens!;
      expect(quote.inputNano + costOfTokens(allowed, quote.outPicoPerToken)).toBeLessThanOrEqual(cap);
      expect(quote.inputNano + costOfTokens(allowed + 1, quote.outPicoPerToken)).toBeGreaterThan(cap);
      expect(state.reserved.q?.nano).toBe(forward.reservedNano);
      expect(availableNano(state)).toBeGreaterThanOrEqual(0);
    }
  });

  it('is null when the budget affords exactly the requested ceiling', () => {
    const cap = 3_000_000 + 4096 * PER_TOKEN;
    const { state, actions } = apply(initialState(usdCap(cap)), request('q1'));
    expect(actions).toEqual([{ type: 'forward', id: 'q1', maxTokens: null, model: null, reservedNano: cap }]);
    expect(availableNano(state)).toBe(0);
  });

  it('clamps against what in-flight reservations leave', () => {
    const { actions } = apply(initialState(usdCap(100_000_000)), request('q1'), request('q2'));
    // 100e6 - 64.44e6 held - 3e6 input = 32.56e6 -> 2170.67 tokens
    expect(actions).toEqual([{ type: 'forward', id: 'q2', maxTokens: 2170, model: null, reservedNano: 3_000_000 + 2170 * PER_TOKEN }]);
  });
});

describe('refuse', () => {
  it(`refuses when even the floor of ${MIN_OUTPUT_TOKENS} output tokens does not fit`, () => {
    const floorCost = 3_000_000 + 256 * PER_TOKEN;
    const refused = apply(initialState(usdCap(floorCost - 1)), request('q1', { at: T1 }));
    expect(refused.actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(refused.actions[0]).toMatchObject({ type: 'refuse', id: 'q1', limit: 'usd' });
    expect(refused.actions[1]).toEqual({ type: 'terminate', reason: 'usd' });
    expect(refused.state.hardStop).toEqual({ reason: 'usd', at: T1 });
    expect(refused.state.reserved).toEqual({});

    const fits = apply(initialState(usdCap(floorCost)), request('q1'));
    expect(fits.actions).toEqual([{ type: 'forward', id: 'q1', maxTokens: 256, model: null, reservedNano: floorCost }]);
    expect(fits.state.hardStop).toBeNull();
  });

  it('uses maxTokens itself as the floor when it is below 256', () => {
    const cost = 3_000_000 + 100 * PER_TOKEN;
    expect(apply(initialState(usdCap(cost)), request('q1', { maxTokens: 100 })).actions).toEqual([
      { type: 'forward', id: 'q1', maxTokens: null, model: null, reservedNano: cost },
    ]);
    expect(apply(initialState(usdCap(cost - 1)), request('q1', { maxTokens: 100 })).actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
  });

  it('terminates once: a later refused request gets refuse without a second terminate', () => {
    const first = apply(initialState(usdCap(1_000_000)), request('q1', { at: T1 }));
    expect(first.actions.filter((a) => a.type === 'terminate')).toHaveLength(1);
    // even a request that would fit on its own is refused after the hard stop
    const tiny: Quote = { inputTokens: 1, inputNano: 1, outPicoPerToken: 1 };
    const second = apply(first.state, request('q2', { quote: tiny, maxTokens: 1, at: T2 }));
    expect(second.actions).toHaveLength(1);
    expect(second.actions[0]).toMatchObject({ type: 'refuse', id: 'q2', limit: 'usd' });
    expect(second.state.hardStop).toEqual({ reason: 'usd', at: T1 });
    expect(second.state.reserved).toEqual({});
  });

  it('tells the agent which cap was hit, the spend, and the flag that raises it', () => {
    const cap = 1_000_000_000;
    const big: Quote = { inputTokens: 100_000, inputNano: 300_000_000, outPicoPerToken: 15_000_000 };
    const { actions } = apply(initialState(usdCap(cap)), request('q0', { quote: big, maxTokens: 64_000 }), settle('q0', 995_000_000), request('q1'));
    const refuse = actions[0];
    if (refuse?.type !== 'refuse') throw new Error('expected a refusal');
    expect(refuse.message).toContain('$1.00');
    expect(refuse.message).toContain('$0.9950');
    expect(refuse.message).toContain('--max-usd');
    expect(refuse.message).toBe(
      "capped: this run's spending cap of $1.00 is reached ($0.9950 spent; the next request needs at least $0.006840). " +
        'The agent is being stopped. To allow more, start the run again with a higher --max-usd, e.g. --max-usd 2.00.',
    );
  });
});

describe('requests whose ceiling cannot be lowered (clampable: false)', () => {
  it('forwards them whole when the whole ceiling fits', () => {
    const cost = 3_000_000 + 4096 * PER_TOKEN;
    expect(step(initialState(usdCap(cost)), request('q1', { clampable: false })).actions).toEqual([
      { type: 'forward', id: 'q1', maxTokens: null, model: null, reservedNano: cost },
    ]);
  });

  it('refuses instead of clamping when only part of the ceiling fits', () => {
    const cost = 3_000_000 + 4096 * PER_TOKEN;
    const { actions } = step(initialState(usdCap(cost - 1)), request('q1', { clampable: false }));
    expect(actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    // the same request, clampable, is clamped rather than refused
    expect(step(initialState(usdCap(cost - 1)), request('q1')).actions[0]).toMatchObject({ type: 'forward', maxTokens: 4095 });
  });

  it('defers while in-flight requests hold what the whole ceiling needs', () => {
    const first = apply(initialState(usdCap(100_000_000)), request('q1')).state;
    expect(step(first, request('q2', { clampable: false })).actions).toEqual([{ type: 'defer', id: 'q2' }]);
  });

  it('counts the whole ceiling against the token cap', () => {
    expect(step(initialState(tokenCap(5095)), request('q1', { clampable: false })).actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(step(initialState(tokenCap(5096)), request('q1', { clampable: false })).actions[0]).toMatchObject({ type: 'forward', maxTokens: null });
  });
});

describe('settle', () => {
  it('adds the cost, releases the reservation and records the request', () => {
    const { state, actions } = apply(
      initialState(usdCap(1_000_000_000)),
      request('q1'),
      request('q2'),
      settle('q1', 12_345_678, { usage: { input: 1000, output: 500, cacheRead: 200, cacheWrite: 100 } }),
    );
    expect(actions).toEqual([{ type: 'settled', id: 'q1', costNano: 12_345_678, spentNano: 12_345_678 }]);
    expect(state.spentNano).toBe(12_345_678);
    expect(Object.keys(state.reserved)).toEqual(['q2']);
    expect(state.requests).toBe(1);
    expect(state.actions).toBe(0);
    expect(state.usage).toEqual({ input: 1000, output: 500, cacheRead: 200, cacheWrite: 100 });
    expect(availableNano(state)).toBe(1_000_000_000 - 12_345_678 - 64_440_000);
  });

  it('returns reserved totals exactly to zero after many reserve/settle cycles with awkward numbers', () => {
    const cap = 987_654_321_987;
    const quote: Quote = { inputTokens: 1234, inputNano: 1_234_567, outPicoPerToken: 3_333_333 };
    let state = initialState(usdCap(cap));
    let expectedSpent = 0;
    for (let i = 0; i < 600; i++) {
      state = step(state, request(`a${i}`, { quote, maxTokens: 1 + ((i * 7919) % 5003) })).state;
      state = step(state, request(`b${i}`, { quote, maxTokens: 3 + ((i * 104729) % 777) })).state;
      const heldA = state.reserved[`a${i}`]!.nano;
      const costA = Math.floor(heldA / 3) + (i % 11);
      state = step(state, settle(`a${i}`, costA)).state;
      expectedSpent += costA;
      if (i % 2 === 0) {
        const costB = state.reserved[`b${i}`]!.nano - (i % 5);
        state = step(state, settle(`b${i}`, costB)).state;
        expectedSpent += costB;
      } else {
        state = step(state, { type: 'release', id: `b${i}` }).state;
      }
    }
    expect(state.reserved).toEqual({});
    expect(state.spentNano).toBe(expectedSpent);
    expect(Number.isInteger(state.spentNano)).toBe(true);
    expect(availableNano(state)).toBe(cap - expectedSpent);
    expect(state.requests).toBe(900);
  });
});

describe('release', () => {
  it('drops the reservation without charging anything, and says so (the ledger drops its row)', () => {
    const reserved = apply(initialState(usdCap(1_000_000_000)), request('q1')).state;
    const { state, actions } = apply(reserved, { type: 'release', id: 'q1' });
    expect(actions).toEqual([{ type: 'released', id: 'q1' }]);
    expect(state.reserved).toEqual({});
    expect(state.spentNano).toBe(0);
    expect(state.requests).toBe(0);
    expect(availableNano(state)).toBe(1_000_000_000);
  });

  it('ignores an unknown id', () => {
    const reserved = apply(initialState(usdCap(1_000_000_000)), request('q1')).state;
    const result = step(reserved, { type: 'release', id: 'nope' });
    expect(result.state).toBe(reserved);
    expect(result.actions).toEqual([]);
  });
});

describe('abandon', () => {
  it('charges the whole reservation and marks the run estimated', () => {
    const reserved = apply(initialState(usdCap(1_000_000_000)), request('q1', { maxTokens: 2000 })).state;
    const held = reserved.reserved.q1!;
    expect(held.nano).toBe(3_000_000 + 2000 * PER_TOKEN);
    const { state, actions } = apply(reserved, { type: 'abandon', id: 'q1', at: T2 });
    expect(actions).toEqual([{ type: 'settled', id: 'q1', costNano: held.nano, spentNano: held.nano }]);
    expect(state.spentNano).toBe(held.nano);
    expect(state.reserved).toEqual({});
    expect(state.estimated).toBe(true);
    expect(state.requests).toBe(1);
    expect(state.usage.output).toBe(held.tokens);
    expect(state.models[MODEL]).toEqual({ nano: held.nano, requests: 1 });
    expect(state.mostExpensive).toEqual({ nano: held.nano, model: MODEL, phase: 'implementation', at: T2 });
  });

  it('is a no-op for an id that holds nothing', () => {
    const start = initialState(usdCap(1_000_000_000));
    const result = step(start, { type: 'abandon', id: 'ghost', at: T2 });
    expect(result.state).toBe(start);
    expect(result.actions).toEqual([]);
  });
});

describe('defer', () => {
  it('defers a request that fits only once in-flight reservations are gone', () => {
    const cap = 70_000_000;
    const first = apply(initialState(usdCap(cap)), request('q1'));
    expect(first.actions[0]).toMatchObject({ type: 'forward', maxTokens: null });
    // 5.56e6 left < 6.84e6 floor, but 70e6 without q1's reservation
    const second = step(first.state, request('q2'));
    expect(second.actions).toEqual([{ type: 'defer', id: 'q2' }]);
    expect(second.state).toBe(first.state);

    // once q1 settles below its worst case, q2 fits (clamped to what is left)
    const settled = step(second.state, settle('q1', 10_000_000)).state;
    const retried = step(settled, request('q2'));
    expect(retried.actions).toEqual([{ type: 'forward', id: 'q2', maxTokens: 3800, model: null, reservedNano: 3_000_000 + 3800 * PER_TOKEN }]);
  });

  it('refuses instead of deferring when the request does not fit even without in-flight reservations', () => {
    const cap = 70_000_000;
    const first = apply(initialState(usdCap(cap)), request('q1')).state;
    const huge: Quote = { inputTokens: 30_000, inputNano: cap, outPicoPerToken: 15_000_000 };
    const { actions, state } = apply(first, request('q2', { quote: huge }));
    expect(actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(state.hardStop?.reason).toBe('usd');
    expect(Object.keys(state.reserved)).toEqual(['q1']);
  });

  it('does not defer when nothing is in flight', () => {
    const spent = apply(
      initialState(usdCap(70_000_000)),
      request('q1', { quote: { inputTokens: 1, inputNano: 0, outPicoPerToken: 15_000_000 }, maxTokens: 4200 }),
      settle('q1', 64_000_000),
    ).state;
    expect(apply(spent, request('q2')).actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
  });

  it('defers on the token cap as well', () => {
    const first = apply(initialState(tokenCap(6000)), request('q1')).state; // holds 5096 tokens
    expect(step(first, request('q2')).actions).toEqual([{ type: 'defer', id: 'q2' }]);
  });
});

describe('token cap (--max-tokens)', () => {
  it('counts every token kind together', () => {
    const { state } = apply(
      initialState(tokenCap(100_000)),
      request('q1'),
      settle('q1', 1, { usage: { input: 1000, output: 2000, cacheRead: 3000, cacheWrite: 1500 } }),
    );
    expect(availableTokens(state)).toBe(100_000 - 7500);
  });

  it('reserves input plus output tokens, and clamps to the free tokens', () => {
    const one = apply(initialState(tokenCap(10_000)), request('q1'));
    expect(one.actions).toEqual([{ type: 'forward', id: 'q1', maxTokens: null, model: null, reservedNano: 3_000_000 + 4096 * PER_TOKEN }]);
    expect(one.state.reserved.q1?.tokens).toBe(5096);
    expect(availableTokens(one.state)).toBe(4904);
    const two = step(one.state, request('q2'));
    // 4904 free - 1000 input = 3904 output tokens
    expect(two.actions).toEqual([{ type: 'forward', id: 'q2', maxTokens: 3904, model: null, reservedNano: 3_000_000 + 3904 * PER_TOKEN }]);
    expect(availableTokens(two.state)).toBe(0);
  });

  it('refuses with the token limit once the floor does not fit, naming --max-tokens', () => {
    const { state, actions } = apply(
      initialState(tokenCap(10_000)),
      request('q1'),
      settle('q1', 1, { usage: { input: 4000, output: 2000, cacheRead: 2000, cacheWrite: 1000 } }),
      request('q2', { at: T2 }),
    );
    expect(actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(actions[1]).toEqual({ type: 'terminate', reason: 'tokens' });
    expect(state.hardStop).toEqual({ reason: 'tokens', at: T2 });
    const refuse = actions[0];
    if (refuse?.type !== 'refuse') throw new Error('expected a refusal');
    expect(refuse.limit).toBe('tokens');
    expect(refuse.message).toBe(
      "capped: this run's token cap of 10000 is reached (9000 used; the next request needs about 1256). " +
        'The agent is being stopped. To allow more, start the run again with a higher --max-tokens, e.g. --max-tokens 20000.',
    );
  });

  it('applies the tighter of the dollar and token caps', () => {
    // dollars afford 1000 output tokens, tokens afford 1500
    const caps: Caps = { usd: 3_000_000 + 1000 * PER_TOKEN, tokens: 2500, actions: null };
    expect(step(initialState(caps), request('q1')).actions[0]).toMatchObject({ maxTokens: 1000 });
    // dollars afford 1000 output tokens, tokens afford 600
    const caps2: Caps = { usd: 3_000_000 + 1000 * PER_TOKEN, tokens: 1600, actions: null };
    expect(step(initialState(caps2), request('q1')).actions[0]).toMatchObject({ maxTokens: 600 });
  });
});

describe('tool actions (--max-actions)', () => {
  const actionCap = (actions: number | null): Caps => ({ usd: 1_000_000_000, tokens: null, actions });
  const toolCall = (id: string, at = T1): BudgetEvent => ({ type: 'tool-call', id, at });

  it('allows tool calls up to the cap, counting each', () => {
    let state = apply(initialState(actionCap(3)), request('q1')).state;
    for (let i = 1; i <= 3; i++) {
      const result = step(state, toolCall('q1'));
      expect(result.actions).toEqual([{ type: 'allow-tool', id: 'q1' }]);
      state = result.state;
      expect(state.actions).toBe(i);
    }
    // settling does not count them again
    state = step(state, settle('q1', 1000)).state;
    expect(state.actions).toBe(3);
  });

  it('refuses the call past the cap, stops the run once, and names --max-actions', () => {
    const full = apply(initialState(actionCap(2)), request('q1'), toolCall('q1'), toolCall('q1')).state;
    const over = step(full, toolCall('q1', T2));
    expect(over.actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    expect(over.actions[0]).toMatchObject({ type: 'refuse', id: 'q1', limit: 'actions' });
    expect(over.actions[1]).toEqual({ type: 'terminate', reason: 'actions' });
    expect(over.state.hardStop).toEqual({ reason: 'actions', at: T2 });
    expect(over.state.actions).toBe(2);
    const refuse = over.actions[0];
    if (refuse?.type !== 'refuse') throw new Error('expected a refusal');
    expect(refuse.message).toContain('2 tool actions');
    expect(refuse.message).toContain('--max-actions');

    // later tool calls and requests are refused without a second terminate
    const again = step(over.state, toolCall('q1'));
    expect(again.actions.map((a) => a.type)).toEqual(['refuse']);
    expect(step(again.state, request('q2')).actions.map((a) => a.type)).toEqual(['refuse']);
  });

  it('refuses every tool call with a cap of 0', () => {
    expect(step(initialState(actionCap(0)), toolCall('q1')).actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
  });

  it('allows any number without a cap, but none after another limit stopped the run', () => {
    let state = initialState(actionCap(null));
    for (let i = 0; i < 100; i++) state = step(state, toolCall('q1')).state;
    expect(state.actions).toBe(100);
    const stopped = apply(initialState({ usd: 1_000_000, tokens: null, actions: null }), request('big', { at: T1 })).state;
    expect(stopped.hardStop?.reason).toBe('usd');
    const result = step(stopped, toolCall('q1', T2));
    expect(result.actions).toHaveLength(1);
    expect(result.actions[0]).toMatchObject({ type: 'refuse', limit: 'usd' });
    expect(result.state.actions).toBe(0);
  });
});

describe('bookkeeping', () => {
  it('tracks spend per model, the most expensive request, tool actions and estimates', () => {
    const { state } = apply(
      initialState(usdCap(10_000_000_000)),
      request('a'),
      request('b', { model: 'claude-opus-4-5' }),
      request('c'),
      { type: 'tool-call', id: 'a', at: T0 },
      settle('a', 5_000_000, { at: T0 }),
      { type: 'tool-call', id: 'b', at: T1 },
      { type: 'tool-call', id: 'b', at: T1 },
      { type: 'tool-call', id: 'b', at: T1 },
      settle('b', 9_000_000, { model: 'claude-opus-4-5', at: T1 }),
      settle('c', 7_000_000, { at: T2, estimated: true }),
    );
    expect(state.models).toEqual({
      [MODEL]: { nano: 12_000_000, requests: 2 },
      'claude-opus-4-5': { nano: 9_000_000, requests: 1 },
    });
    expect(state.mostExpensive).toEqual({ nano: 9_000_000, model: 'claude-opus-4-5', phase: 'implementation', at: T1 });
    expect(state.actions).toBe(4);
    expect(state.requests).toBe(3);
    expect(state.estimated).toBe(true);

    // estimated stays true once set; an equal cost does not replace the first most expensive
    const later = apply(state, request('d'), settle('d', 9_000_000, { at: T2 })).state;
    expect(later.estimated).toBe(true);
    expect(later.mostExpensive?.at).toBe(T1);
  });

  it('settles under the model the response reported', () => {
    const { state } = apply(initialState(usdCap(1_000_000_000)), request('a'), settle('a', 100, { model: 'claude-sonnet-4-5-20250929' }));
    expect(state.models).toEqual({ 'claude-sonnet-4-5-20250929': { nano: 100, requests: 1 } });
  });
});

describe('property: concurrent requests never push spend past the cap', () => {
  for (const seed of [1, 7, 42, 1234, 20260101, 987654321]) {
    it(`seed ${seed}`, () => {
      const rand = mulberry32(seed);
      let forwards = 0;
      let clamps = 0;
      let defers = 0;
      let hardStops = 0;
      let next = 0;

      // Several runs per seed: each ends in a hard stop (or after its events), then a fresh one starts.
      for (let run = 0; run < 12; run++) {
        const caps: Caps = {
          usd: randInt(rand, 20_000_000, 2_000_000_000),
          tokens: rand() < 0.4 ? null : randInt(rand, 20_000, 400_000),
          actions: null,
        };
        let state = initialState(caps);
        const inFlight = new Map<string, { quote: Quote; allowed: number }>();

        const check = (): void => {
          expect(state.spentNano).toBeLessThanOrEqual(caps.usd!);
          expect(state.spentNano + reservedNano(state)).toBeLessThanOrEqual(caps.usd!);
          if (caps.tokens !== null) expect(availableTokens(state)!).toBeGreaterThanOrEqual(0);
          expect(Object.keys(state.reserved).sort()).toEqual([...inFlight.keys()].sort());
        };

        for (let i = 0; i < 600 && !(state.hardStop && inFlight.size === 0); i++) {
          if (inFlight.size === 0 || (inFlight.size < 12 && rand() < 0.55)) {
            const inputTokens = randInt(rand, 1, 8_000);
            const quote: Quote = {
              inputTokens,
              inputNano: costOfTokens(inputTokens, randInt(rand, 100_000, 5_000_000)),
              outPicoPerToken: randInt(rand, 400_000, 25_000_000),
            };
            const maxTokens = randInt(rand, 1, 16_000);
            const id = `r${next++}`;
            const result = step(state, request(id, { quote, maxTokens }));
            state = result.state;
            const decision = result.actions[0]!;
            if (decision.type === 'forward') {
              forwards++;
              const allowed = decision.maxTokens ?? maxTokens;
              if (decision.maxTokens !== null) {
                clamps++;
                expect(decision.maxTokens).toBeLessThan(maxTokens);
              }
              expect(allowed).toBeGreaterThanOrEqual(Math.min(maxTokens, MIN_OUTPUT_TOKENS));
              expect(state.reserved[id]).toEqual({
                model: MODEL,
                nano: decision.reservedNano,
                tokens: inputTokens + allowed,
                allowedOut: allowed,
                outPicoPerToken: quote.outPicoPerToken,
                phase: 'implementation',
              });
              inFlight.set(id, { quote, allowed });
            } else if (decision.type === 'defer') {
              defers++;
              expect(inFlight.size).toBeGreaterThan(0);
            } else {
              expect(decision.type).toBe('refuse');
              if (result.actions.some((a) => a.type === 'terminate')) hardStops++;
            }
          } else {
            const ids = [...inFlight.keys()];
            const id = ids[randInt(rand, 0, ids.length - 1)]!;
            const { quote, allowed } = inFlight.get(id)!;
            inFlight.delete(id);
            const roll = rand();
            if (roll < 0.8) {
              // a settled cost never exceeds what the request reserved (often exactly it)
              const held = state.reserved[id]!.nano;
              const output = randInt(rand, 0, allowed);
              const cost = rand() < 0.3 ? held : randInt(rand, Math.floor(held / 2), held);
              state = step(state, settle(id, cost, { usage: { input: quote.inputTokens, output } })).state;
            } else if (roll < 0.9) {
              state = step(state, { type: 'release', id }).state;
            } else {
              state = step(state, { type: 'abandon', id, at: T2 }).state;
            }
          }
          check();
        }
        for (const id of [...inFlight.keys()]) {
          inFlight.delete(id);
          state = step(state, { type: 'release', id }).state;
        }
        check();
        expect(state.reserved).toEqual({});
        expect(availableNano(state)).toBe(caps.usd! - state.spentNano);
      }
      // the sequence really exercised the interesting paths
      expect(forwards).toBeGreaterThan(50);
      expect(clamps).toBeGreaterThan(0);
      expect(defers).toBeGreaterThan(0);
      expect(hardStops).toBeGreaterThan(0);
    });
  }
});

describe('input-known: the provider reports the real input before generating', () => {
  it('gives back the slack when the real input is cheaper than its estimate', () => {
    const { state } = apply(initialState(usdCap(1_000_000_000)), request('q1', { maxTokens: 1000 }));
    const { state: next, actions } = apply(state, { type: 'input-known', id: 'q1', inputNano: 1_000_000, inputTokens: 400 });
    expect(actions).toEqual([]);
    expect(next.reserved.q1).toMatchObject({ nano: 1_000_000 + 1000 * PER_TOKEN, tokens: 400 + 1000, allowedOut: 1000 });
  });

  it('truncates the output to what the cap still affords when the real input costs more', () => {
    // $0.05 cap: the estimate ($0.003 input) leaves room for the whole 2000-token ceiling; the
    // real input is $0.03 (cache writes), leaving $0.02 = 1333 output tokens.
    const { state } = apply(initialState(usdCap(50_000_000)), request('q1', { maxTokens: 2000 }));
    expect(state.reserved.q1!.allowedOut).toBe(2000);
    const { state: next, actions } = apply(state, { type: 'input-known', id: 'q1', inputNano: 30_000_000, inputTokens: 1000 });
    expect(actions).toEqual([{ type: 'truncate', id: 'q1', outputTokens: 1333, limit: 'usd' }]);
    expect(next.reserved.q1!.nano).toBeLessThanOrEqual(50_000_000);
    expect(next.reserved.q1!.allowedOut).toBe(1333);
  });

  it('counts other requests in flight when recomputing, and truncates to zero when the input alone fills the cap', () => {
    const { state } = apply(initialState(usdCap(40_000_000)), request('a', { maxTokens: 1000 }), request('b', { maxTokens: 1000 }));
    const { actions } = apply(state, { type: 'input-known', id: 'b', inputNano: 30_000_000, inputTokens: 1000 });
    expect(actions).toEqual([{ type: 'truncate', id: 'b', outputTokens: 0, limit: 'usd' }]);
  });

  it('truncates by the token cap and names it', () => {
    const { state } = apply(initialState(tokenCap(5000)), request('q1', { maxTokens: 3000 }));
    const { actions } = apply(state, { type: 'input-known', id: 'q1', inputNano: 3_000_000, inputTokens: 3000 });
    expect(actions).toEqual([{ type: 'truncate', id: 'q1', outputTokens: 2000, limit: 'tokens' }]);
  });

  it('ignores a request it does not hold', () => {
    const state = initialState(usdCap(1));
    expect(step(state, { type: 'input-known', id: 'nope', inputNano: 5, inputTokens: 5 })).toEqual({ state, actions: [] });
  });
});

describe('cut: a truncated response reached its limit', () => {
  it('is a hard stop: refuse with a mid-response message, terminate once', () => {
    const { state } = apply(initialState(usdCap(50_000_000)), request('q1', { maxTokens: 2000 }));
    const { state: next, actions } = apply(state, { type: 'cut', id: 'q1', at: T1, limit: 'usd' });
    expect(next.hardStop).toEqual({ reason: 'usd', at: T1 });
    expect(actions.map((a) => a.type)).toEqual(['refuse', 'terminate']);
    const refusal = actions[0];
    if (refusal?.type !== 'refuse') throw new Error('expected refuse');
    expect(refusal.message).toContain('the response in progress was stopped at the cap');
    expect(refusal.message).toContain('--max-usd');
  });
});
