import type { Nano } from '../budget/money.js';

/** What a set of runs cost: median and 90th percentile of their spend, and their typical length. */
export interface SpendStats {
  runs: number;
  medianNano: Nano;
  p90Nano: Nano;
  /** Median number of requests (turns) per run. */
  medianRequests: number;
}

/** What runs of this repo (and of this agent in it) cost recently, for the pre-run panel. */
export interface RunHistory {
  /** The agent's program name, e.g. `claude`. */
  agent: string;
  repo: SpendStats | null;
  /** Runs of the same agent in this repo; null when too few. */
  agentRuns: SpendStats | null;
}
