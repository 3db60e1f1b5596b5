import { describe, expect, it } from 'vitest';
import { BudgetKeeper, type Admission } from '../../../src/budget/keeper.js';
import type { RequestEvent } from '../../../src/budget/types.js';
import type { BudgetAction, BudgetState, Quote } from '../../../src/budget/types.js';

const MODEL = 'claude-sonnet-4-5';
const AT = '2026-01-01T00:00:00.000Z';
const SONNET: Quote = { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: 15_000_000 };
const PER_TOKEN = 15_000;
/** Holds 64.44e6 for q1; a second 4096-token request then fits only without it. */
const CAP = 70_000_000;

function request(id: string, maxTokens = 4096, quote: Quote = SONNET): RequestEvent {
  return { type: 'request', id, at: AT, model: MODEL, quote, maxTokens };
}

function settle(id: string, costNano: number) {
  return {
    type: 'settle' as const,
    id,
    at: AT,
    model: MODEL,
    usage: { input: 1000, output: 10, cacheRead: 0, cacheWrite: 0 },
    costNano,
    estimated: false,
  };
}

/** Tracks whether a promise has resolved yet, and with what. */
function track<T>(promise: Promise<T>): { done: boolean; value: T | undefined } {
  const box: { done: boolean; value: T | undefined } = { done: false, value: undefined };
  void promise.then((value) => {
    box.done = true;
    box.value = value;
  });
  return box;
}

/** Lets every pending promise callback run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BudgetKeeper', () => {
  it('starts from the caps it was given', () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: 5, actions: 9 });
    expect(keeper.state.caps).toEqual({ usd: CAP, tokens: 5, actions: 9 });
    expect(keeper.state.spentNano).toBe(0);
    expect(keeper.waitingCount).toBe(0);
  });

  it('admits a request that fits at once', async () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    const admission = await keeper.admit(request('q1'));
    expect(admission).toEqual({ type: 'forward', id: 'q1', maxTokens: null, model: null, reservedNano: 3_000_000 + 4096 * PER_TOKEN });
    expect(Object.keys(keeper.state.reserved)).toEqual(['q1']);
    expect(keeper.waitingCount).toBe(0);
  });

  it('refuses a request that can never fit at once', async () => {
    const keeper = new BudgetKeeper({ usd: 1_000_000, tokens: null, actions: null });
    const admission = await keeper.admit(request('q1'));
    expect(admission?.type).toBe('refuse');
    expect(keeper.state.hardStop?.reason).toBe('usd');
    expect(keeper.waitingCount).toBe(0);
  });

  it('holds a deferred request and forwards it once an in-flight request settles', async () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    await keeper.admit(request('q1'));
    const second = track(keeper.admit(request('q2')));
    await flush();
    expect(second.done).toBe(false);
    expect(keeper.waitingCount).toBe(1);
    expect(keeper.state.reserved.q2).toBeUndefined();

    keeper.dispatch(settle('q1', 10_000_000));
    await flush();
    expect(second.done).toBe(true);
    // 70e6 - 10e6 spent - 3e6 input = 57e6 -> 3800 output tokens
    expect(second.value).toEqual({ type: 'forward', id: 'q2', maxTokens: 3800, model: null, reservedNano: 3_000_000 + 3800 * PER_TOKEN });
    expect(keeper.waitingCount).toBe(0);
    expect(keeper.state.reserved.q2?.nano).toBe(3_000_000 + 3800 * PER_TOKEN);
  });

  it('forwards a deferred request once an in-flight request is released', async () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    await keeper.admit(request('q1'));
    const second = track(keeper.admit(request('q2')));
    keeper.dispatch({ type: 'release', id: 'q1' });
    await flush();
    expect(second.value).toEqual({ type: 'forward', id: 'q2', maxTokens: null, model: null, reservedNano: 3_000_000 + 4096 * PER_TOKEN });
  });

  it('refuses a deferred request when the settled cost leaves too little', async () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    const actions: BudgetAction[] = [];
    keeper.onAction((action) => actions.push(action));
    await keeper.admit(request('q1'));
    const second = track(keeper.admit(request('q2')));
    keeper.dispatch(settle('q1', 64_000_000));
    await flush();
    expect(second.value?.type).toBe('refuse');
    expect(second.value).toMatchObject({ id: 'q2', limit: 'usd' });
    expect(actions.filter((a) => a.type === 'terminate')).toEqual([{ type: 'terminate', reason: 'usd' }]);
    expect(keeper.waitingCount).toBe(0);
  });

  it('keeps a request waiting while other in-flight requests still hold the budget', async () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    // two small requests hold most of the budget
    await keeper.admit(request('a', 2000)); // 33e6
    await keeper.admit(request('b', 2000)); // 33e6
    const third = track(keeper.admit(request('c', 2000)));
    keeper.dispatch(settle('a', 32_000_000)); // 32e6 spent + 33e6 held: 5e6 left, floor needs 6.84e6
    await flush();
    expect(third.done).toBe(false);
    expect(keeper.waitingCount).toBe(1);
    keeper.dispatch(settle('b', 1_000_000));
    await flush();
    expect(third.value).toMatchObject({ type: 'forward', id: 'c' });
  });

  it('cancel() resolves a waiting request with null and it is never forwarded', async () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    const actions: BudgetAction[] = [];
    keeper.onAction((action) => actions.push(action));
    await keeper.admit(request('q1'));
    const second = track(keeper.admit(request('q2')));
    keeper.cancel('q2');
    await flush();
    expect(second.done).toBe(true);
    expect(second.value).toBeNull();
    expect(keeper.waitingCount).toBe(0);

    keeper.dispatch(settle('q1', 1));
    await flush();
    expect(actions.some((a) => a.type === 'forward' && a.id === 'q2')).toBe(false);
    expect(keeper.state.reserved).toEqual({});
  });

  it('cancel() of an unknown id changes nothing', async () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    await keeper.admit(request('q1'));
    const second = track(keeper.admit(request('q2')));
    keeper.cancel('other');
    await flush();
    expect(second.done).toBe(false);
    expect(keeper.waitingCount).toBe(1);
  });

  it('tells every listener each action with the state after it', async () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    const seen: { action: BudgetAction; spent: number; reserved: string[] }[] = [];
    const second: BudgetAction[] = [];
    keeper.onAction((action, state: BudgetState) => seen.push({ action, spent: state.spentNano, reserved: Object.keys(state.reserved) }));
    keeper.onAction((action) => second.push(action));

    await keeper.admit(request('q1'));
    const waiting = keeper.admit(request('q2'));
    keeper.dispatch(settle('q1', 5_000_000));
    const admitted: Admission | null = await waiting;
    expect(admitted?.type).toBe('forward');

    expect(seen.map((s) => s.action.type)).toEqual(['forward', 'defer', 'settled', 'forward']);
    expect(seen[0]).toMatchObject({ spent: 0, reserved: ['q1'] });
    expect(seen[2]).toMatchObject({ action: { type: 'settled', id: 'q1', costNano: 5_000_000, spentNano: 5_000_000 }, spent: 5_000_000, reserved: [] });
    expect(seen[3]).toMatchObject({ action: { type: 'forward', id: 'q2' }, reserved: ['q2'] });
    expect(second).toEqual(seen.map((s) => s.action));
  });

  it('dispatch() returns the actions of the event', () => {
    const keeper = new BudgetKeeper({ usd: CAP, tokens: null, actions: null });
    expect(keeper.dispatch(request('q1'))).toEqual([{ type: 'forward', id: 'q1', maxTokens: null, model: null, reservedNano: 3_000_000 + 4096 * PER_TOKEN }]);
    expect(keeper.dispatch({ type: 'abandon', id: 'q1', at: AT })).toEqual([
      { type: 'settled', id: 'q1', costNano: 3_000_000 + 4096 * PER_TOKEN, spentNano: 3_000_000 + 4096 * PER_TOKEN },
    ]);
    expect(keeper.state.estimated).toBe(true);
  });
});
