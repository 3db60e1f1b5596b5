import { nanoToUsd } from '../budget/money.js';
import type { RunDetail, RunSummary } from './ledger.js';

// `capped runs --json` and `capped runs show --json`, a contract (DESIGN.md): the run's spend in
// dollars as `spentUsd`, where the summary holds nano-dollars. The one place that conversion is made.

export type RunSummaryJson = Omit<RunSummary, 'spentNano'> & { spentUsd: number };
export type RunDetailJson = Omit<RunDetail, 'spentNano'> & { spentUsd: number };

/** The summary (or detail) as `--json` prints it: `spentUsd` in the place `spentNano` has. */
export function runSummaryJson<T extends RunSummary>(run: T): Omit<T, 'spentNano'> & { spentUsd: number } {
  return Object.fromEntries(Object.entries(run).map(([key, value]) => (key === 'spentNano' ? ['spentUsd', nanoToUsd(run.spentNano)] : [key, value]))) as Omit<
    T,
    'spentNano'
  > & { spentUsd: number };
}
