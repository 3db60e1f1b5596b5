import { nanoToUsd, type Nano } from '../budget/money.js';
import type { BreachCause } from './breach-cause.js';
import { quantile } from './history.js';
import { causeOfRun, type ReportInput, type ReportRun } from './report.js';

/** Fewer runs that ended normally than this and `--suggest` says it cannot tell yet. */
export const SUGGEST_MIN_RUNS = 5;

export interface CurrentBudget {
  maxUsd: number;
  verifyShare: number;
  /** A fixed verification ceiling overrides the share; the suggestion then leaves it alone. */
  verifyUsd: number | null;
  /** The `.budgetrc` that applies, if any. */
  file: string | null;
}

/** What `capped report --suggest` prints (and its `--json`). */
export interface Suggestion {
  repo: string;
  since: string;
  now: string;
  /** Runs of the repo in the period, and those that ended normally (finished, within budget). */
  runs: number;
  normalRuns: number;
  /** Why there is no suggestion (too little data); null when there is one. */
  notEnough: string | null;
  medianUsd: number | null;
  p90Usd: number | null;
  /** p90 of the share of each normal run's spend that went to verification. */
  verifyShareP90: number | null;
  breachesByCause: { cause: BreachCause; runs: number }[];
  current: CurrentBudget;
  /** The keys to change in `.budgetrc`, with their new values; empty when the policy already fits. */
  changes: { maxUsd?: number; verifyShare?: number };
}

/** Rounds a dollar cap up to a step people would write: 5 cents below $1, 25 cents above. */
export function roundCapUp(usd: number): number {
  const step = usd < 1 ? 0.05 : 0.25;
  return Math.round(Math.ceil(usd / step - 1e-9) * step * 100) / 100;
}

/** Rounds a share up to the next 5%, at most 100%. */
function roundShareUp(share: number): number {
  return Math.min(1, Math.round(Math.ceil(share * 20 - 1e-9) * 5) / 100);
}

const endedNormally = (r: ReportRun): boolean => r.status === 'finished' && !r.exceededInitialBudget && r.spentNano > 0;

function breachesOf(runs: readonly ReportRun[], escalated: ReadonlySet<string>): Suggestion['breachesByCause'] {
  const counts = new Map<BreachCause, number>();
  for (const r of runs) {
    const cause = causeOfRun(r, escalated.has(r.id));
    if (cause !== null) counts.set(cause, (counts.get(cause) ?? 0) + 1);
  }
  return [...counts].map(([cause, n]) => ({ cause, runs: n })).sort((a, b) => b.runs - a.runs || a.cause.localeCompare(b.cause));
}

/** The verification share of each run's spend, from its requests. */
function verifyShares(runs: readonly ReportRun[], input: ReportInput): number[] {
  const verification = new Map<string, Nano>();
  for (const q of input.requests) if (q.phase === 'verification') verification.set(q.runId, (verification.get(q.runId) ?? 0) + q.costNano);
  return runs.map((r) => (verification.get(r.id) ?? 0) / r.spentNano).sort((a, b) => a - b);
}

/**
 * The `.budgetrc` change the ledger supports for `repo`: `maxUsd` at the p90 spend of the runs
 * that ended normally in the period (rounded up), and `verifyShare` at the p90 share those runs
 * spent verifying, when that is above the share in force. Nothing is suggested from fewer than
 * SUGGEST_MIN_RUNS such runs.
 */
export function suggestBudget(input: ReportInput, repo: string, current: CurrentBudget): Suggestion {
  const sinceMs = input.since.getTime();
  const nowMs = input.now.getTime();
  const runs = input.runs.filter((r) => r.repo === repo && Date.parse(r.startedAt) >= sinceMs && Date.parse(r.startedAt) < nowMs);
  const normal = runs.filter(endedNormally);
  const escalated = new Set(input.approvals.filter((a) => a.kind === 'escalation' && a.answer === 'approved').map((a) => a.runId));
  const base: Suggestion = {
    repo,
    since: input.since.toISOString(),
    now: input.now.toISOString(),
    runs: runs.length,
    normalRuns: normal.length,
    notEnough: null,
    medianUsd: null,
    p90Usd: null,
    verifyShareP90: null,
    breachesByCause: breachesOf(runs, escalated),
    current,
    changes: {},
  };
  if (normal.length < SUGGEST_MIN_RUNS) {
    return {
      ...base,
      notEnough: `${normal.length} of ${runs.length} runs of this repo in the period ended within their budget; at least ${SUGGEST_MIN_RUNS} are needed`,
    };
  }
  const spend = normal.map((r) => nanoToUsd(r.spentNano)).sort((a, b) => a - b);
  const p90Usd = quantile(spend, 0.9);
  const verifyShareP90 = quantile(verifyShares(normal, input), 0.9);
  const cap = roundCapUp(p90Usd);
  const share = roundShareUp(verifyShareP90);
  const changes: Suggestion['changes'] = {
    ...(cap !== current.maxUsd ? { maxUsd: cap } : {}),
    ...(current.verifyUsd === null && share > current.verifyShare ? { verifyShare: share } : {}),
  };
  return { ...base, medianUsd: quantile(spend, 0.5), p90Usd, verifyShareP90: Math.round(verifyShareP90 * 10_000) / 10_000, changes };
}
