import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../../src/budget/forecast.js';
import type { RunHistory } from '../../../src/ledger/history.js';
import { DEFAULT_POLICY, initialState, step } from '../../../src/budget/engine.js';
import type { BudgetAction, BudgetState, RequestEvent } from '../../../src/budget/types.js';
import { escalationForecast, forecastLong, forecastShort, historyText, historyWarning, withProjection } from '../../../src/ui/forecast-text.js';

const USD = 1_000_000_000;
const F: Forecast = { perMinuteNano: 0.15 * USD, perTurnNano: 0.1 * USD, msLeft: 480_000, turnsLeft: 12 };

describe('forecast text', () => {
  it('reads as a rate and what is left, in the bar and in a log line', () => {
    expect(forecastShort(F)).toBe('$0.15/min ~8m left');
    expect(forecastLong(F)).toBe('burn $0.15/min ($0.10/request) · ~8m or ~12 requests left at this rate');
    expect(forecastShort({ ...F, msLeft: 95_000 })).toBe('$0.15/min ~1m 35s left');
    expect(forecastShort({ ...F, msLeft: 0, turnsLeft: 0 })).toBe('$0.15/min cap reached');
    expect(forecastLong({ ...F, msLeft: 0, turnsLeft: 0 })).toBe('burn $0.15/min ($0.10/request) · the cap is reached');
  });

  it('says only the rate without a dollar cap, and nothing without a forecast', () => {
    expect(forecastShort({ ...F, msLeft: null, turnsLeft: null })).toBe('$0.15/min');
    expect(forecastShort(null)).toBeNull();
    expect(forecastLong(null)).toBeNull();
  });
});

describe('history text', () => {
  const H: RunHistory = {
    agent: 'claude',
    repo: { runs: 12, medianNano: 800_000_000, p90Nano: 1_900_000_000, medianRequests: 20 },
    agentRuns: { runs: 9, medianNano: 700_000_000, p90Nano: 1_500_000_000, medianRequests: 18 },
  };

  it('gives the median and p90 of the repo, and of the agent when it differs', () => {
    expect(historyText(H)).toBe('median $0.80, p90 $1.90 (12 runs) · claude: median $0.70, p90 $1.50 (9 runs)');
    expect(historyText({ ...H, agentRuns: H.repo })).toBe('median $0.80, p90 $1.90 (12 runs)');
    expect(historyText({ ...H, repo: null })).toBeNull();
    expect(historyText(null)).toBeNull();
  });

  it('warns only when the cap is below the repo’s median', () => {
    expect(historyWarning(H, 500_000_000)).toBe('the cap $0.50 is below the median run here ($0.80): this run will likely need more');
    expect(historyWarning(H, 800_000_000)).toBeNull();
    expect(historyWarning(H, null)).toBeNull();
    expect(historyWarning({ ...H, repo: null }, 500_000_000)).toBeNull();
  });
});

describe('escalationForecast', () => {
  const state = { ...initialState({ usd: 1 * USD, tokens: null, actions: null }), spentNano: 0.4 * USD, requests: 4 };
  const ask = {
    selected: { model: 'claude-sonnet-4-5', outPicoPerToken: 15_000_000 },
    requested: { model: 'claude-opus-4-5', outPicoPerToken: 75_000_000 },
    from: 1 * USD,
    to: 5 * USD,
  };
  const history = (medianRequests: number): RunHistory => ({
    agent: 'claude',
    repo: { runs: 6, medianNano: 1_000_000_000, p90Nano: 2_000_000_000, medianRequests },
    agentRuns: null,
  });

  it('says the task is likely to exceed the budget on the selected model when a typical run here would, with figures on both models', () => {
    expect(escalationForecast(state, ask, history(20))).toEqual({
      lead:
        'This task is likely to exceed the current budget on the selected model: a typical run here (20 requests) projects to ' +
        '$2.00 on claude-sonnet-4-5, $8.40 on claude-opus-4-5.',
      detail: 'at this rate ~6 requests left on claude-sonnet-4-5 ($1.00), ~9 on claude-opus-4-5 ($5.00)',
    });
  });

  it('makes no such claim when a typical run fits, or without history; too early, says nothing', () => {
    expect(escalationForecast(state, ask, history(8))?.lead).toBeNull();
    expect(escalationForecast(state, ask, null)).toEqual({
      lead: null,
      detail: 'at this rate ~6 requests left on claude-sonnet-4-5 ($1.00), ~9 on claude-opus-4-5 ($5.00)',
    });
    expect(escalationForecast({ ...state, requests: 1 }, ask, history(20))).toBeNull();
  });
});

describe('withProjection (the escalation question as asked)', () => {
  const SONNET = 15_000_000;
  const OPUS = 75_000_000;
  const request = (id: string, model: string, out: number): RequestEvent => ({
    type: 'request',
    id,
    at: '2026-03-02T09:00:00.000Z',
    model,
    quote: { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: out },
    maxTokens: 1000,
    mainLoop: true,
  });

  /** Four $0.10 turns on sonnet under a $1.00 cap, then the agent asks for opus. */
  function escalated(): { state: BudgetState; ask: Extract<BudgetAction, { type: 'ask' }> } {
    let state = initialState({ usd: 1 * USD, tokens: null, actions: null }, { ...DEFAULT_POLICY, escalation: 'ask' });
    for (let i = 0; i < 4; i++) {
      state = step(state, request(`q${i}`, 'claude-sonnet-4-5', SONNET)).state;
      const usage = { input: 1000, output: 100, cacheRead: 0, cacheWrite: 0 };
      state = step(state, {
        type: 'settle',
        id: `q${i}`,
        at: '2026-03-02T09:00:01.000Z',
        model: 'claude-sonnet-4-5',
        usage,
        costNano: 0.1 * USD,
        estimated: false,
      }).state;
    }
    const result = step(state, request('q4', 'claude-opus-4-5', OPUS));
    const ask = result.actions.find((a): a is Extract<BudgetAction, { type: 'ask' }> => a.type === 'ask');
    if (!ask) throw new Error(`expected an escalation question, got ${JSON.stringify(result.actions)}`);
    return { state: result.state, ask };
  }

  it('asks to switch first, then says the task is likely to exceed the budget, with the turns on both models as its detail', () => {
    const { state, ask } = escalated();
    const history: RunHistory = { agent: 'claude', repo: { runs: 5, medianNano: 2_000_000_000, p90Nano: 3_000_000_000, medianRequests: 20 }, agentRuns: null };
    const asked = withProjection(ask, state, history);
    expect(asked.question).toBe(
      'Switch to claude-opus-4-5? This task is likely to exceed the current budget on the selected model: a typical run here (20 requests) ' +
        'projects to $2.00 on claude-sonnet-4-5, $8.40 on claude-opus-4-5.',
    );
    expect(asked.detail).toBe('at this rate ~6 requests left on claude-sonnet-4-5 ($1.00), ~9 on claude-opus-4-5 ($5.00)');
  });

  it('leaves the question as it was without the claim, and other questions untouched', () => {
    const { state, ask } = escalated();
    expect(withProjection(ask, state, null).question).toBe(ask.question);
    const limitAsk = { ...ask, kind: 'limit' as const };
    expect(withProjection(limitAsk, state, null)).toBe(limitAsk);
  });
});
