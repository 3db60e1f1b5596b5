import { describe, expect, it } from 'vitest';
import { initialState, preview, step } from '../../../src/budget/engine.js';
import type { BudgetAction, BudgetEvent, BudgetState, Quote } from '../../../src/budget/types.js';

const T0 = '2026-01-01T00:00:00.000Z';
/** 1,000 input tokens at $3/M, output at $15/M. */
const QUOTE: Quote = { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: 15_000_000 };
const usd = (nano: number): BudgetState => initialState({ usd: nano, tokens: null, actions: null });
const request = (id: string, maxTokens: number): BudgetEvent => ({ type: 'request', id, at: T0, model: 'm', quote: QUOTE, maxTokens });

function run(state: BudgetState, ...events: BudgetEvent[]): { state: BudgetState; actions: BudgetAction[] } {
  let current = state;
  let actions: BudgetAction[] = [];
  for (const e of events) ({ state: current, actions } = step(current, e));
  return { state: current, actions };
}

describe('extend: a response that reached its output allowance', () => {
  it('gets more output when the budget can pay for it, and its reservation grows with it', () => {
    const { state } = run(usd(100_000_000), request('a', 1000));
    expect(state.reserved.a!.allowedOut).toBe(1000);
    const { state: next, actions } = run(state, { type: 'extend', id: 'a', outputTokens: 3000 });
    expect(actions).toEqual([{ type: 'extended', id: 'a', allowedOut: 3000, short: null }]);
    expect(next.reserved.a!.nano).toBe(3_000_000 + 3000 * 15_000);
  });

  it('gets what is left at the cap, and the limit as the reason it is short', () => {
    // $0.05: input $0.003 leaves $0.047 = 3,133 output tokens.
    const { state } = run(usd(50_000_000), request('a', 1000));
    const { actions } = run(state, { type: 'extend', id: 'a', outputTokens: 10_000 });
    expect(actions).toEqual([{ type: 'extended', id: 'a', allowedOut: 3133, short: 'usd' }]);
  });

  it('is short with `wait` when only other requests in flight hold the room', () => {
    const { state } = run(usd(50_000_000), request('a', 1000), request('b', 2000));
    const { actions } = run(state, { type: 'extend', id: 'a', outputTokens: 3000 });
    // b holds the rest of the cap: nothing more now, but room once it settles.
    expect(actions).toEqual([{ type: 'extended', id: 'a', allowedOut: 1000, short: 'wait' }]);
  });

  it('never lowers an allowance, and ignores unknown requests', () => {
    const { state } = run(usd(100_000_000), request('a', 1000));
    expect(run(state, { type: 'extend', id: 'a', outputTokens: 10 }).actions).toEqual([{ type: 'extended', id: 'a', allowedOut: 1000, short: null }]);
    expect(run(state, { type: 'extend', id: 'zz', outputTokens: 10 }).actions).toEqual([]);
  });

  it('a cut states what the response alone needed', () => {
    const { state } = run(usd(50_000_000), request('a', 1000));
    const { actions } = run(state, { type: 'cut', id: 'a', at: T0, limit: 'usd', needNano: 15_360_000 });
    expect(actions.find((a) => a.type === 'refuse')).toMatchObject({
      type: 'refuse',
      message: expect.stringContaining('it alone needed $0.0154 more') as string,
    });
  });
});

describe('overrun: an upstream that ignores the output ceiling', () => {
  it('stops the run once, at the dollar limit', () => {
    const { state } = run(usd(50_000_000), request('a', 1000));
    const first = run(state, { type: 'overrun', id: 'a', at: T0 });
    expect(first.actions).toEqual([{ type: 'terminate', reason: 'usd' }]);
    expect(first.state.hardStop).toEqual({ reason: 'usd', at: T0 });
    expect(run(first.state, { type: 'overrun', id: 'a', at: T0 }).actions).toEqual([]);
  });
});

describe('preview', () => {
  it('says where a request stands without deciding anything', () => {
    const empty = usd(50_000_000);
    expect(preview(empty, request('a', 1000) as Extract<BudgetEvent, { type: 'request' }>)).toBe('fits');
    const busy = run(empty, request('a', 3000)).state;
    const big = { ...(request('b', 1000) as Extract<BudgetEvent, { type: 'request' }>), quote: { ...QUOTE, inputNano: 40_000_000 } };
    expect(preview(busy, big)).toBe('wait');
    expect(preview(empty, { ...big, quote: { ...QUOTE, inputNano: 60_000_000 } })).toBe('limit');
    expect(busy.reserved.b).toBeUndefined();
  });
});
