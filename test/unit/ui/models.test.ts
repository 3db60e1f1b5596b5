import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, initialState } from '../../../src/budget/engine.js';
import type { BudgetState } from '../../../src/budget/types.js';
import { barFromState } from '../../../src/ui/bar-model.js';
import { formatDuration, formatUsdShort } from '../../../src/model/format.js';
import { formatCount, pricePerMillion, tokenEquivalent } from '../../../src/ui/format.js';

const CAPS = { usd: 1_500_000_000, tokens: 200_000, actions: 10 };

// Built from the engine's own initial state, so fields added to it later need no change here.
const STATE: BudgetState = {
  ...initialState(CAPS, { ...DEFAULT_POLICY, onLimit: 'ask', escalation: 'ask' }),
  spentNano: 1_499_900_000,
  usage: { input: 100_000, output: 20_000, cacheRead: 30_000, cacheWrite: 0 },
  requests: 7,
  actions: 9,
  mostExpensive: { nano: 210_000_000, model: 'claude-opus-4-5', phase: 'implementation', at: '2025-01-01T00:00:00Z' },
  phaseSpent: { implementation: 1_499_900_000, verification: 0 },
  selected: { model: 'claude-sonnet-4-5', outPicoPerToken: 15_000_000 },
};

describe('barFromState', () => {
  it('formats what the bar shows from the budget state', () => {
    expect(barFromState(STATE, { model: 'claude-opus-4-5', status: 'running' })).toEqual({
      spent: '$1.49',
      cap: '$1.50',
      fraction: 0.9999333333333333,
      remaining: '$0.0001 left',
      tokensLeft: '50k tokens left',
      actionsLeft: '1 action left',
      phase: null,
      costliest: 'top $0.21',
      forecast: null,
      model: 'claude-opus-4-5',
      status: 'running',
    });
  });

  it('shows the selected model, or the downgrade target once downgraded', () => {
    expect(barFromState(STATE, { status: 'running' }).model).toBe('claude-sonnet-4-5');
    expect(barFromState({ ...STATE, downgradedTo: 'claude-haiku-4-5' }, { status: 'running' }).model).toBe('claude-haiku-4-5');
  });

  it('shows the verification phase against its own ceiling', () => {
    const state: BudgetState = {
      ...STATE,
      policy: { ...STATE.policy, verifyNano: 600_000_000 },
      phase: 'verification',
      phaseSpent: { implementation: 1_000_000_000, verification: 450_000_000 },
    };
    expect(barFromState(state, { status: 'running' }).phase).toEqual({ name: 'verify', spent: '$0.45', cap: '$0.60', fraction: 0.75 });
    expect(barFromState({ ...state, phase: 'implementation' }, { status: 'running' }).phase).toEqual({
      name: 'impl',
      spent: '$1.00',
      cap: null,
      fraction: null,
    });
    expect(barFromState(STATE, { status: 'running' }).phase).toBeNull();
  });

  it('says it waits for approval while the engine holds a question, unless idle says more', () => {
    const pending = {
      r1: {
        kind: 'limit' as const,
        event: { type: 'request' as const, id: 'r1', at: 'x', model: 'm', quote: { inputTokens: 1, inputNano: 1, outPicoPerToken: 1 }, maxTokens: 1 },
        limit: 'usd' as const,
        from: 1,
        to: 2,
      },
    };
    expect(barFromState({ ...STATE, pending }, { status: 'running' }).status).toBe('waiting for approval');
    expect(barFromState({ ...STATE, pending }, { status: 'paused: idle' }).status).toBe('paused: idle');
    expect(barFromState({ ...STATE, idle: true }, { status: 'running' }).status).toBe('paused: idle');
  });

  it('follows the token cap without a dollar cap, and shows stopped after a hard stop', () => {
    const fields = barFromState(
      { ...STATE, caps: { usd: null, tokens: 300_000, actions: null }, hardStop: { reason: 'tokens', at: 'x' } },
      { model: null, status: 'running' },
    );
    expect(fields.fraction).toBe(0.5);
    expect(fields.cap).toBeNull();
    expect(fields.remaining).toBeNull();
    expect(fields.actionsLeft).toBeNull();
    expect(fields.status).toBe('stopped');
  });
});

describe('format', () => {
  it('shows dollars cut down to cents, with more digits below a cent', () => {
    expect(formatUsdShort(1_499_900_000)).toBe('$1.49');
    expect(formatUsdShort(1_500_000_000)).toBe('$1.50');
    expect(formatUsdShort(3_100_000)).toBe('$0.0031');
    expect(formatUsdShort(0)).toBe('$0.00');
  });

  it('shortens counts', () => {
    expect(formatCount(950)).toBe('950');
    expect(formatCount(12_345)).toBe('12.3k');
    expect(formatCount(150_000)).toBe('150k');
    expect(formatCount(4_100_000)).toBe('4.1M');
  });

  it('says what a cap buys at a model output price', () => {
    expect(tokenEquivalent(1_500_000_000, 15_000_000)).toBe('≈ 100,000 output tokens');
    expect(tokenEquivalent(1_500_000_000, null)).toBeNull();
    expect(pricePerMillion(15_000_000)).toBe('$15.00/M output');
  });

  it('shows durations in the largest whole unit', () => {
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(5_000)).toBe('5s');
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(7_200_000)).toBe('2h');
  });
});
