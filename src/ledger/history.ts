import type { RunHistory, SpendStats } from '../model/history.js';
import type { RunSummary, SpentRun } from './ledger.js';

/** Fewer finished runs than this and the ledger says nothing about what runs typically cost. */
export const HISTORY_MIN_RUNS = 3;
/** How far back "recent" runs go (the ledger's default retention). */
export const HISTORY_DAYS = 30;

export type { RunHistory, SpendStats };

/** Nearest-rank quantile of sorted values (q in (0, 1]); the same rule on every backend. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/** Median and p90 of the runs' spend; null below HISTORY_MIN_RUNS runs. */
export function spendStats(runs: readonly Pick<RunSummary, 'spentNano' | 'requestCount'>[]): SpendStats | null {
  if (runs.length < HISTORY_MIN_RUNS) return null;
  const spend = runs.map((r) => r.spentNano).sort((a, b) => a - b);
  const requests = runs.map((r) => r.requestCount).sort((a, b) => a - b);
  return { runs: runs.length, medianNano: quantile(spend, 0.5), p90Nano: quantile(spend, 0.9), medianRequests: quantile(requests, 0.5) };
}

/** The program name of a command (`/usr/bin/claude --x` → `claude`). */
export function agentOf(command: readonly string[]): string {
  const program = command[0] ?? '';
  return program.slice(program.lastIndexOf('/') + 1);
}

/**
 * The repo's history from the runs `Ledger.repoSpend` gives: finished runs that made at least one
 * request (a run that failed to start says nothing about what the work costs).
 */
export function spendHistory(counted: readonly SpentRun[], agent: string): RunHistory {
  return { agent, repo: spendStats(counted), agentRuns: spendStats(counted.filter((r) => agentOf(r.command) === agent)) };
}
