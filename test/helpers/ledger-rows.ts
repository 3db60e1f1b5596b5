import type { RequestEntry, RunStart } from '../../src/ledger/ledger.js';
import type { RunRecord } from '../../src/ledger/run-record.js';

export const T0 = Date.parse('2026-03-02T09:00:00.000Z');

export const at = (seconds: number, base = T0): string => new Date(base + seconds * 1000).toISOString();

export function runStart(id: string, overrides: Partial<RunStart> = {}): RunStart {
  return {
    id,
    command: ['claude', '--print', 'fix the tests'],
    cwd: '/work/app/src',
    repo: '/work/app',
    host: 'test-host',
    pid: 4242,
    startedAt: at(0),
    budget: { usd: 1.5, tokens: null, actions: 40, verifyUsd: null },
    policy: { preset: null, onLimit: 'stop', escalation: 'ask', model: null, downgradeTo: null, restrictedTools: [] },
    ...overrides,
  };
}

/** Request `i` of a run: cost (i + 1) × 1,000,000 nano-dollars, one second apart. */
export function request(runId: string, i: number, overrides: Partial<RequestEntry> = {}, base = T0): RequestEntry {
  return {
    runId,
    at: at(i + 1, base),
    model: i % 3 === 2 ? 'claude-haiku-4-5' : 'claude-sonnet-4-5',
    provider: 'anthropic',
    phase: 'implementation',
    tokens: { input: 100 + i, output: 20, cacheRead: 1000, cacheWrite: i === 0 ? 500 : 0 },
    costNano: (i + 1) * 1_000_000,
    estimated: false,
    retry: false,
    ...overrides,
  };
}

/** Sum of the costs of requests 0..n-1 as `request` prices them. */
export const costOfFirst = (n: number): number => ((n * (n + 1)) / 2) * 1_000_000;

export function finishedRecord(start: RunStart, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: start.id,
    command: [...start.command],
    cwd: start.cwd,
    startedAt: start.startedAt,
    endedAt: new Date(Date.parse(start.startedAt) + 300_000).toISOString(),
    policy: start.policy,
    budget: start.budget,
    spent: { usd: 0.006, inputTokens: 303, outputTokens: 60, cacheReadTokens: 3000, cacheWriteTokens: 500, actions: 4, requests: 3 },
    phases: { implementation: { usd: 0.006 }, verification: { usd: 0 } },
    models: { 'claude-sonnet-4-5': { usd: 0.003, requests: 2 }, 'claude-haiku-4-5': { usd: 0.003, requests: 1 } },
    mostExpensive: { usd: 0.003, model: 'claude-haiku-4-5', phase: 'implementation', at: new Date(Date.parse(start.startedAt) + 3000).toISOString() },
    approvals: [],
    hardStop: null,
    exceededInitialBudget: false,
    estimated: false,
    apiEquivalent: false,
    toolsRemoved: [],
    exitCode: 0,
    ...overrides,
  };
}
