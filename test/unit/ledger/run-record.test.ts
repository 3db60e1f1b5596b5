import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, initialState, step } from '../../../src/budget/engine.js';
import type { BudgetEvent, BudgetState, Caps } from '../../../src/budget/types.js';
import { buildRunRecord, type RunFacts } from '../../../src/ledger/run-record.js';

const FACTS: RunFacts = {
  id: '20260101-000000-abc123',
  command: ['claude', '--print', 'hi'],
  cwd: '/work/repo',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:05:00.000Z',
  exitCode: 0,
  apiEquivalent: false,
};

const quote = { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: 15_000_000 };

function run(caps: Caps, events: BudgetEvent[]): BudgetState {
  let state = initialState(caps);
  for (const e of events) state = step(state, e).state;
  return state;
}

const settle = (id: string, model: string, costNano: number, at: string, estimated = false): BudgetEvent => ({
  type: 'settle',
  id,
  at,
  model,
  usage: { input: 1000, output: 200, cacheRead: 3000, cacheWrite: 400 },
  costNano,
  estimated,
});

/** The field names DESIGN.md promises, nested objects included. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value !== 'object' || value === null) return typeof value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
  );
}

describe('buildRunRecord', () => {
  const state = run({ usd: 1_500_000_000, tokens: 200_000, actions: 40 }, [
    { type: 'request', id: 'a', at: '2026-01-01T00:01:00.000Z', model: 'claude-sonnet-4-5', quote, maxTokens: 4096 },
    { type: 'request', id: 'b', at: '2026-01-01T00:02:00.000Z', model: 'claude-sonnet-4-5', quote, maxTokens: 4096 },
    { type: 'tool-call', id: 'a', at: '2026-01-01T00:01:30.000Z' },
    { type: 'tool-call', id: 'a', at: '2026-01-01T00:01:31.000Z' },
    settle('a', 'claude-sonnet-4-5-20250929', 12_345_678, '2026-01-01T00:01:40.000Z'),
    settle('b', 'claude-sonnet-4-5-20250929', 45_000_000, '2026-01-01T00:02:40.000Z', true),
  ]);

  it('uses the field names DESIGN.md lists', () => {
    const record = buildRunRecord(state, FACTS);
    const designed = [
      'id',
      'command',
      'cwd',
      'startedAt',
      'endedAt',
      'policy',
      'budget',
      'spent',
      'phases',
      'models',
      'mostExpensive',
      'approvals',
      'hardStop',
      'exceededInitialBudget',
      'estimated',
      'exitCode',
    ];
    for (const key of designed) expect(record, key).toHaveProperty(key);
    // beyond the designed names, only the subscription flag (not yet in DESIGN.md)
    expect(Object.keys(record).filter((k) => !designed.includes(k))).toEqual([
      'breachCause',
      'apiEquivalent',
      'toolsRemoved',
      'reservation',
      'upstreamNonCompliant',
    ]);
    expect(Object.keys(record.budget).sort()).toEqual(['actions', 'tokens', 'usd', 'verifyUsd']);
    expect(Object.keys(record.spent).sort()).toEqual(
      ['usd', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'actions', 'requests'].sort(),
    );
    expect(Object.keys(record.phases).sort()).toEqual(['implementation', 'verification']);
    expect(Object.keys(record.phases.implementation)).toEqual(['usd']);
    expect(Object.keys(record.phases.verification)).toEqual(['usd']);
    for (const spend of Object.values(record.models)) expect(Object.keys(spend).sort()).toEqual(['requests', 'usd']);
    expect(Object.keys(record.mostExpensive!).sort()).toEqual(['at', 'model', 'phase', 'usd']);
    expect(Array.isArray(record.approvals)).toBe(true);
    // and it survives JSON unchanged
    expect(shape(JSON.parse(JSON.stringify(record)))).toEqual(shape(record));
  });

  it('converts the final budget state into dollars and counts', () => {
    expect(buildRunRecord(state, FACTS)).toEqual({
      ...FACTS,
      policy: { preset: null, onLimit: 'stop', escalation: 'allow', model: null, downgradeTo: null, restrictedTools: [] },
      budget: { usd: 1.5, tokens: 200_000, actions: 40, verifyUsd: null },
      spent: {
        usd: 0.057345678,
        inputTokens: 2000,
        outputTokens: 400,
        cacheReadTokens: 6000,
        cacheWriteTokens: 800,
        actions: 2,
        requests: 2,
      },
      phases: { implementation: { usd: 0.057345678 }, verification: { usd: 0 } },
      models: { 'claude-sonnet-4-5-20250929': { usd: 0.057345678, requests: 2 } },
      mostExpensive: { usd: 0.045, model: 'claude-sonnet-4-5-20250929', phase: 'implementation', at: '2026-01-01T00:02:40.000Z' },
      approvals: [],
      hardStop: null,
      exceededInitialBudget: false,
      breachCause: null,
      estimated: true,
      apiEquivalent: false,
      toolsRemoved: [],
      reservation: { mode: 'likely', riskUsd: 0, countCalls: 0 },
      upstreamNonCompliant: false,
      exitCode: 0,
    });
  });

  it('records a hard stop, and an empty run', () => {
    const stopped = run({ usd: 1_000_000, tokens: null, actions: null }, [
      { type: 'request', id: 'a', at: '2026-01-01T00:03:00.000Z', model: 'claude-sonnet-4-5', quote, maxTokens: 4096 },
    ]);
    const record = buildRunRecord(stopped, { ...FACTS, exitCode: 3 });
    expect(record.hardStop).toEqual({ reason: 'usd', at: '2026-01-01T00:03:00.000Z' });
    expect(record.exceededInitialBudget).toBe(true);
    expect(record.exitCode).toBe(3);
    expect(record.spent.requests).toBe(0);
    expect(record.mostExpensive).toBeNull();
    expect(record.models).toEqual({});
    expect(record.budget).toEqual({ usd: 0.001, tokens: null, actions: null, verifyUsd: null });
  });

  it('keeps uncapped dimensions as null, and marks subscription runs as API-equivalent prices', () => {
    const record = buildRunRecord(initialState({ usd: null, tokens: null, actions: null }), { ...FACTS, apiEquivalent: true });
    expect(record.apiEquivalent).toBe(true);
    expect(record.budget).toEqual({ usd: null, tokens: null, actions: null, verifyUsd: null });
    expect(record.spent.usd).toBe(0);
    expect(record.estimated).toBe(false);
  });

  it('records approvals in dollars, spend by phase, and a breach when more was approved', () => {
    let s = initialState({ usd: 20_000_000, tokens: null, actions: null }, { ...DEFAULT_POLICY, onLimit: 'ask', verifyNano: 5_000_000 });
    const events: BudgetEvent[] = [
      { type: 'request', id: 'a', at: 'T1', model: 'm', quote, maxTokens: 100 },
      { type: 'settle', id: 'a', at: 'T2', model: 'm', usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 }, costNano: 19_000_000, estimated: false },
      { type: 'request', id: 'b', at: 'T3', model: 'm', quote, maxTokens: 100 },
      { type: 'answer', id: 'b', at: 'T4', approve: true },
      { type: 'phase', phase: 'verification', at: 'T5' },
      { type: 'settle', id: 'b', at: 'T6', model: 'm', usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 }, costNano: 2_000_000, estimated: false },
    ];
    for (const e of events) s = step(s, e).state;
    const record = buildRunRecord(s, FACTS);
    expect(record.approvals).toEqual([{ kind: 'limit', at: 'T4', answer: 'approved', from: 0.02, to: 0.04 }]);
    expect(record.budget).toEqual({ usd: 0.02, tokens: null, actions: null, verifyUsd: 0.005 });
    expect(record.phases).toEqual({ implementation: { usd: 0.021 }, verification: { usd: 0 } });
    expect(record.exceededInitialBudget).toBe(true);
    expect(record.hardStop).toBeNull();
    expect(record.policy.onLimit).toBe('ask');
  });
});
