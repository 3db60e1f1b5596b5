import { forecast, type Forecast } from '../budget/forecast.js';
import type { BudgetState } from '../budget/types.js';
import type { RunHistory, SpendStats } from '../ledger/history.js';
import { formatDuration, formatUsdShort } from './format.js';

/** The forecast of a running run from its budget state and how long it has run. */
export function forecastOf(state: BudgetState, elapsedMs: number): Forecast | null {
  return forecast({ spentNano: state.spentNano, requests: state.requests, elapsedMs, capNano: state.caps.usd });
}

/** "~8m" of time left; whole minutes past ten, never "0s" while something is left. */
function timeLeft(ms: number): string {
  if (ms < 1000) return '<1s';
  return `~${formatDuration(ms >= 600_000 ? Math.round(ms / 60_000) * 60_000 : ms)}`;
}

/** The bar's short form: "$0.15/min ~8m left" (or the rate alone without a dollar cap). */
export function forecastShort(f: Forecast | null): string | null {
  if (f === null) return null;
  const rate = `${formatUsdShort(f.perMinuteNano)}/min`;
  if (f.msLeft === null) return rate;
  return f.msLeft === 0 ? `${rate} cap reached` : `${rate} ${timeLeft(f.msLeft)} left`;
}

/** The line reporter's form: "burn $0.15/min · ~8m or ~12 turns left at this rate". */
export function forecastLong(f: Forecast | null): string | null {
  if (f === null) return null;
  const rate = `burn ${formatUsdShort(f.perMinuteNano)}/min (${formatUsdShort(f.perTurnNano)}/request)`;
  if (f.msLeft === null || f.turnsLeft === null) return rate;
  if (f.msLeft === 0) return `${rate} · the cap is reached`;
  return `${rate} · ${timeLeft(f.msLeft)} or ~${f.turnsLeft} ${f.turnsLeft === 1 ? 'request' : 'requests'} left at this rate`;
}

function stats(s: SpendStats): string {
  return `median ${formatUsdShort(s.medianUsd * 1e9)}, p90 ${formatUsdShort(s.p90Usd * 1e9)} (${s.runs} runs)`;
}

/** What runs here cost recently, for the pre-run panel and the CI start line; null without history. */
export function historyText(h: RunHistory | null): string | null {
  if (h === null || h.repo === null) return null;
  const agent = h.agentRuns && h.agentRuns.runs !== h.repo.runs ? ` · ${h.agent}: ${stats(h.agentRuns)}` : '';
  return `${stats(h.repo)}${agent}`;
}

/** A warning when the cap is below what a typical run of this repo costs; null otherwise. */
export function historyWarning(h: RunHistory | null, capUsd: number | null): string | null {
  if (h === null || h.repo === null || capUsd === null || capUsd >= h.repo.medianUsd) return null;
  return `the cap ${formatUsdShort(capUsd * 1e9)} is below the median run here (${formatUsdShort(h.repo.medianUsd * 1e9)}): this run will likely need more`;
}
