import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, initialState, step } from '../../../src/budget/engine.js';
import type { GuardFacts } from '../../../src/budget/guards.js';
import type { BudgetAction, BudgetState, EnginePolicy, Quote, RequestEvent } from '../../../src/budget/types.js';

const SONNET: Quote = { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: 15_000_000 };
const T = '2026-01-01T00:00:00.000Z';
const ERR = 'error TS2304: Cannot find name foo.';

const start = (p: Partial<EnginePolicy>): BudgetState => initialState({ usd: 1_000_000_000, tokens: null, actions: null }, { ...DEFAULT_POLICY, ...p });
const loop = (count: number, id = 'npm run build@0'): GuardFacts => ({ loop: { id, step: 'npm run build', count, lastError: ERR }, filesRead: 0 });
const files = (n: number): GuardFacts => ({ loop: null, filesRead: n });
const req = (id: string, guards: GuardFacts): RequestEvent => ({
  type: 'request',
  id,
  at: T,
  model: 'claude-sonnet-4-5',
  quote: SONNET,
  maxTokens: 1000,
  mainLoop: true,
  guards,
});
const types = (actions: BudgetAction[]): string[] => actions.map((a) => a.type);

/** Sends the requests in order, settling each forwarded one; returns the last step. */
function sequence(state: BudgetState, ...events: RequestEvent[]): { state: BudgetState; actions: BudgetAction[] } {
  let s = state;
  let actions: BudgetAction[] = [];
  for (const e of events) {
    ({ state: s, actions } = step(s, e));
    if (actions.some((a) => a.type === 'forward')) s = step(s, { type: 'release', id: e.id }).state;
  }
  return { state: s, actions };
}

describe('the retry-loop guard', () => {
  it('lets two failures through and stops the run at the third (onLoop stop): reason loop, why in words', () => {
    const { state, actions } = sequence(start({ loop: { attempts: 3, onLoop: 'stop' } }), req('q1', loop(1)), req('q2', loop(2)), req('q3', loop(3)));
    expect(types(actions)).toEqual(['refuse', 'terminate']);
    expect(actions[0]).toMatchObject({ limit: 'loop' });
    expect((actions[0] as { message: string }).message).toContain('the same failing step `npm run build` ran 3 times in a row (last error: error TS2304');
    expect((actions[0] as { message: string }).message).toContain('--loop-attempts 6');
    expect(state.hardStop).toEqual({ reason: 'loop', at: T, detail: `the same failing step \`npm run build\` ran 3 times: ${ERR}` });
    // stragglers are refused for the same reason, without a second terminate
    const after = step(state, req('q4', loop(1, 'other@3')));
    expect(types(after.actions)).toEqual(['refuse']);
    expect((after.actions[0] as { message: string }).message).toContain('npm run build');
  });

  it('does nothing when off', () => {
    const { actions } = sequence(start({ loop: { attempts: 3, onLoop: 'off' } }), req('q1', loop(9)));
    expect(types(actions)).toEqual(['forward']);
  });

  it('asks (naming the step, showing the last error); continue lets the same streak go on until N more failures', () => {
    let { state, actions } = sequence(start({ loop: { attempts: 3, onLoop: 'ask' } }), req('q3', loop(3)));
    expect(actions).toEqual([
      expect.objectContaining({
        type: 'ask',
        kind: 'guard',
        limit: 'loop',
        question: 'Retry loop: `npm run build` failed 3 times in a row. Last error:',
        detail: ERR,
      }),
    ]);
    ({ state, actions } = step(state, { type: 'answer', id: 'q3', at: T, approve: true }));
    expect(types(actions)).toEqual(['forward']);
    state = step(state, { type: 'release', id: 'q3' }).state;
    ({ state, actions } = sequence(state, req('q4', loop(4)), req('q5', loop(5))));
    expect(types(actions)).toEqual(['forward']);
    ({ state, actions } = sequence(state, req('q6', loop(6))));
    expect(actions[0]).toMatchObject({ type: 'ask', question: 'Retry loop: `npm run build` failed 6 times in a row. Last error:' });
    ({ state, actions } = step(state, { type: 'answer', id: 'q6', at: T, approve: false }));
    expect(types(actions)).toEqual(['refuse', 'terminate']);
    expect(state.hardStop?.reason).toBe('loop');
    expect(state.approvals.map((a) => [a.kind, a.answer])).toEqual([
      ['loop', 'approved'],
      ['loop', 'denied'],
    ]);
  });

  it('asks again at the threshold for a new streak after one was continued', () => {
    let { state } = sequence(start({ loop: { attempts: 3, onLoop: 'ask' } }), req('q3', loop(3)));
    state = step(state, { type: 'answer', id: 'q3', at: T, approve: true }).state;
    state = step(state, { type: 'release', id: 'q3' }).state;
    const { actions } = sequence(state, req('q7', loop(3, 'npm run build@9')));
    expect(types(actions)).toEqual(['ask']);
  });

  it('holds a second request while the question is open, and decides it after the answer', () => {
    let { state } = sequence(start({ loop: { attempts: 3, onLoop: 'ask' } }), req('q3', loop(3)));
    const held = step(state, req('side', loop(3)));
    expect(types(held.actions)).toEqual(['defer']);
    state = step(held.state, { type: 'answer', id: 'q3', at: T, approve: true }).state;
    expect(types(step(state, req('side', loop(3))).actions)).toEqual(['forward']);
  });
});

describe('the scope guard', () => {
  it('is off by default', () => {
    expect(types(sequence(start({}), req('q1', files(10_000))).actions)).toEqual(['forward']);
  });

  it('stops the run past scope.files (onScope stop): reason scope', () => {
    const s = start({ scope: { files: 80, onScope: 'stop' } });
    expect(types(sequence(s, req('q1', files(80))).actions)).toEqual(['forward']);
    const { state, actions } = sequence(s, req('q1', files(81)));
    expect(types(actions)).toEqual(['refuse', 'terminate']);
    expect(state.hardStop).toEqual({ reason: 'scope', at: T, detail: 'the agent read 81 files, past the scope limit of 80' });
    expect((actions[0] as { message: string }).message).toContain('--scope-files 160');
  });

  it('asks past the limit; continue asks again after as many files more', () => {
    let { state, actions } = sequence(start({ scope: { files: 80, onScope: 'ask' } }), req('q1', files(81)));
    expect(actions[0]).toMatchObject({
      type: 'ask',
      kind: 'guard',
      limit: 'scope',
      question: 'Scope: the agent has read 81 files, past the limit of 80. Continue?',
    });
    state = step(state, { type: 'answer', id: 'q1', at: T, approve: true }).state;
    state = step(state, { type: 'release', id: 'q1' }).state;
    expect(types(sequence(state, req('q2', files(161))).actions)).toEqual(['forward']);
    ({ actions } = sequence(state, req('q3', files(162))));
    expect(types(actions)).toEqual(['ask']);
  });
});
