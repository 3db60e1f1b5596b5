import type { Nano } from '../budget/money.js';
import { escalationProjection, forecast, type Forecast } from '../budget/forecast.js';
import type { BudgetAction, BudgetState } from '../budget/types.js';
import type { RunHistory, SpendStats } from '../model/history.js';
import { formatDuration, formatUsdShort } from '../model/format.js';

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
  return `median ${formatUsdShort(s.medianNano)}, p90 ${formatUsdShort(s.p90Nano)} (${s.runs} runs)`;
}

/** What runs here cost recently, for the pre-run panel and the CI start line; null without history. */
export function historyText(h: RunHistory | null): string | null {
  if (h === null || h.repo === null) return null;
  const agent = h.agentRuns && h.agentRuns.runs !== h.repo.runs ? ` · ${h.agent}: ${stats(h.agentRuns)}` : '';
  return `${stats(h.repo)}${agent}`;
}

/** A warning when the cap is below what a typical run of this repo costs; null otherwise. */
export function historyWarning(h: RunHistory | null, capNano: Nano | null): string | null {
  if (h === null || h.repo === null || capNano === null || capNano >= h.repo.medianNano) return null;
  return `the cap ${formatUsdShort(capNano)} is below the median run here (${formatUsdShort(h.repo.medianNano)}): this run will likely need more`;
}

export interface EscalationAsk {
  /** The selected model and its output price; the model asked for and its price. */
  selected: { model: string; outPicoPerToken: number };
  requested: { model: string; outPicoPerToken: number };
  /** The cap now and the one the question proposes. */
  from: number;
  to: number;
}

/**
 * The projection the escalation question states on both models: `lead` goes before the question
 * when a typical run of this repo is projected past the cap on the selected model (the claim is
 * made only then), `detail` gives the turns left on each. Null while there is no average turn yet.
 */
export function escalationForecast(state: BudgetState, ask: EscalationAsk, history: RunHistory | null): { lead: string | null; detail: string } | null {
  const typical = history?.agentRuns ?? history?.repo ?? null;
  const p = escalationProjection({
    spentNano: state.spentNano,
    requests: state.requests,
    capNano: ask.from,
    proposedNano: ask.to,
    selectedOutPico: ask.selected.outPicoPerToken,
    requestedOutPico: ask.requested.outPicoPerToken,
    typicalTurns: typical?.medianRequests ?? null,
  });
  if (p === null) return null;
  const detail =
    `at this rate ~${p.selectedTurnsLeft} requests left on ${ask.selected.model} ` +
    `(${formatUsdShort(ask.from)}), ~${p.requestedTurnsLeft} on ${ask.requested.model} ` +
    `(${formatUsdShort(ask.to)})`;
  if (!p.exceedsOnSelected || p.selectedTotalNano === null || p.requestedTotalNano === null) return { lead: null, detail };
  const lead =
    `This task is likely to exceed the current budget on the selected model: a typical run here ` +
    `(${typical?.medianRequests} requests) projects to ${formatUsdShort(p.selectedTotalNano)} on ${ask.selected.model}, ` +
    `${formatUsdShort(p.requestedTotalNano)} on ${ask.requested.model}.`;
  return { lead, detail };
}

type Ask = Extract<BudgetAction, { type: 'ask' }>;

/**
 * The escalation question as put to the person. With the likely-to-exceed claim, the question is
 * "Switch to <model>?" followed by the claim: the prompt is one line and is cut from the end, so
 * what is asked comes first (the new ceiling is in the choice, "switch, max $5.00"). The turns
 * left on both models are the detail.
 */
export function withProjection(ask: Ask, state: BudgetState, history: RunHistory | null): Ask {
  const pending = state.pending[ask.id];
  if (ask.kind !== 'escalation' || !state.selected || !pending || pending.kind !== 'escalation') return ask;
  const requested = { model: ask.model, outPicoPerToken: pending.event.quote.outPicoPerToken };
  const f = escalationForecast(state, { selected: state.selected, requested, from: ask.from, to: ask.to }, history);
  if (f === null) return ask;
  return { ...ask, question: f.lead ? `Switch to ${ask.model}? ${f.lead}` : ask.question, detail: ask.detail ?? f.detail };
}
