import { describe, expect, it } from 'vitest';
import { agentOf, quantile, spendHistory, spendStats } from '../../../src/ledger/history.js';
import type { RunSummary } from '../../../src/ledger/ledger.js';

function run(spentUsd: number, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: `r${spentUsd}`,
    command: ['/usr/local/bin/claude', '-p', 'x'],
    cwd: '/repo',
    repo: '/repo',
    host: 'h',
    pid: 1,
    startedAt: '2026-03-01T00:00:00.000Z',
    endedAt: '2026-03-01T00:05:00.000Z',
    status: 'finished',
    spentNano: Math.round(spentUsd * 1e9),
    budgetUsd: 1,
    requestCount: Math.round(spentUsd * 10),
    exceededInitialBudget: false,
    hardStop: null,
    breachCause: null,
    ...over,
  };
}

describe('run history', () => {
  it('takes the nearest-rank median and p90', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantile(values, 0.5)).toBe(5);
    expect(quantile(values, 0.9)).toBe(9);
    expect(quantile([4], 0.9)).toBe(4);
  });

  it('says nothing below three runs', () => {
    expect(spendStats([run(1), run(2)])).toBeNull();
    expect(spendStats([run(3), run(1), run(2)])).toEqual({ runs: 3, medianNano: 2_000_000_000, p90Nano: 3_000_000_000, medianRequests: 20 });
  });

  // Which runs count (finished, with requests) is the ledger's query (Ledger.repoSpend, checked in
  // test/integration/ledger/ledger.test.ts); the history splits what it gives by agent.
  it('counts the repo’s runs, and the agent’s own separately', () => {
    const runs = [run(0.5), run(1), run(2), run(4, { command: ['codex', 'exec'] })];
    expect(agentOf(['/usr/local/bin/claude', '-p'])).toBe('claude');
    const h = spendHistory(runs, 'claude');
    expect(h.repo).toEqual({ runs: 4, medianNano: 1_000_000_000, p90Nano: 4_000_000_000, medianRequests: 10 });
    expect(h.agentRuns).toEqual({ runs: 3, medianNano: 1_000_000_000, p90Nano: 2_000_000_000, medianRequests: 10 });
    expect(spendHistory(runs, 'codex').agentRuns).toBeNull();
  });
});
