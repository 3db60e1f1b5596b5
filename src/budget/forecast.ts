import type { Nano } from './money.js';

/**
 * The burn-rate forecast: how fast the run spends and how long its budget lasts at that rate.
 * Pure arithmetic on what the run has spent; the caller passes the elapsed time.
 *
 * Too little data says nothing (null) rather than something wild: a rate needs MIN_REQUESTS
 * priced requests and MIN_ELAPSED_MS of run time, since the first request of a session (its whole
 * system prompt and context) is no guide to the ones after it on its own.
 */
export const MIN_REQUESTS = 3;
export const MIN_ELAPSED_MS = 10_000;

export interface ForecastInput {
  spentNano: Nano;
  /** Priced (settled) requests so far. */
  requests: number;
  /** Time since the run started. */
  elapsedMs: number;
  /** The dollar cap in force; null when dollars are not capped. */
  capNano: Nano | null;
}

export interface Forecast {
  /** Spend per minute of run time. */
  perMinuteNano: Nano;
  /** Average cost of a request (a turn of the agent). */
  perTurnNano: Nano;
  /** Time until the cap at the current rate; null without a cap. */
  msLeft: number | null;
  /** Requests until the cap at the current cost per request; null without a cap. */
  turnsLeft: number | null;
}

/** The forecast, or null while there is too little to go on (or nothing was spent). */
export function forecast(input: ForecastInput): Forecast | null {
  const { spentNano, requests, elapsedMs, capNano } = input;
  if (requests < MIN_REQUESTS || elapsedMs < MIN_ELAPSED_MS || spentNano <= 0) return null;
  const perMinuteNano = Math.round((spentNano * 60_000) / elapsedMs);
  const perTurnNano = Math.round(spentNano / requests);
  if (capNano === null) return { perMinuteNano, perTurnNano, msLeft: null, turnsLeft: null };
  const left = Math.max(0, capNano - spentNano);
  return {
    perMinuteNano,
    perTurnNano,
    msLeft: Math.round((left / spentNano) * elapsedMs),
    turnsLeft: Math.floor(left / Math.max(1, perTurnNano)),
  };
}

export interface EscalationProjectionInput {
  spentNano: Nano;
  requests: number;
  /** The dollar cap now, and the one the question proposes on the pricier model. */
  capNano: Nano;
  proposedNano: Nano;
  /** Output price of the selected model and of the one asked for (pico-dollars per token). */
  selectedOutPico: number;
  requestedOutPico: number;
  /** Requests a typical run of this repo makes (median), when the ledger knows; else null. */
  typicalTurns: number | null;
}

export interface EscalationProjection {
  /** Turns left at the current cost per turn, on each model (the pricier one at the proposed cap). */
  selectedTurnsLeft: number;
  requestedTurnsLeft: number;
  /** Projected total of a typical-length run on each model; null without a typical length. */
  selectedTotalNano: Nano | null;
  requestedTotalNano: Nano | null;
  /** The typical-length run is projected past the current cap on the selected model. */
  exceedsOnSelected: boolean;
}

/**
 * The projection the escalation question states on both models: a turn on the pricier model is
 * taken to cost the current average scaled by the output-price ratio (output dominates an agent's
 * bill once its context is cached). Null while there are too few requests to have an average.
 */
export function escalationProjection(input: EscalationProjectionInput): EscalationProjection | null {
  const { spentNano, requests, capNano, proposedNano, selectedOutPico, requestedOutPico, typicalTurns } = input;
  if (requests < MIN_REQUESTS || spentNano <= 0 || selectedOutPico <= 0) return null;
  const perTurn = spentNano / requests;
  const perTurnRequested = perTurn * (requestedOutPico / selectedOutPico);
  const remaining = typicalTurns === null ? null : Math.max(0, typicalTurns - requests);
  const selectedTotalNano = remaining === null ? null : Math.round(spentNano + perTurn * remaining);
  return {
    selectedTurnsLeft: Math.floor(Math.max(0, capNano - spentNano) / perTurn),
    requestedTurnsLeft: Math.floor(Math.max(0, proposedNano - spentNano) / perTurnRequested),
    selectedTotalNano,
    requestedTotalNano: remaining === null ? null : Math.round(spentNano + perTurnRequested * remaining),
    exceedsOnSelected: selectedTotalNano !== null && selectedTotalNano > capNano,
  };
}
