import type { Nano } from './money.js';
import { totalTokens } from './totals.js';
import type { BudgetState, LimitKind, Phase } from './types.js';

/**
 * What in-flight requests hold, all but `except` (a request's own reservation does not stand in
 * its own way). A plain loop over the keys: this runs for every event of every response.
 */
function reservedTotals(state: BudgetState, phase?: Phase, except?: string): { nano: Nano; tokens: number } {
  let nano = 0;
  let tokens = 0;
  for (const id in state.reserved) {
    const r = state.reserved[id]!;
    if (id === except || (phase && r.phase !== phase)) continue;
    nano += r.nano;
    tokens += r.tokens;
  }
  return { nano, tokens };
}

/** Dollars still free: cap minus settled spend minus what in-flight requests (but `except`) hold. */
export function availableNano(state: BudgetState, except?: string): Nano | null {
  if (state.caps.usd === null) return null;
  return state.caps.usd - state.spentNano - reservedTotals(state, undefined, except).nano;
}

/** Tokens still free under `--max-tokens`, counting in-flight reservations (but `except`). */
export function availableTokens(state: BudgetState, except?: string): number | null {
  if (state.caps.tokens === null) return null;
  return state.caps.tokens - totalTokens(state) - reservedTotals(state, undefined, except).tokens;
}

/** Dollars still free in the verification phase's own ceiling (null when it has none). */
export function availableVerifyNano(state: BudgetState, except?: string): Nano | null {
  if (state.policy.verifyNano === null) return null;
  return state.policy.verifyNano - state.phaseSpent.verification - reservedTotals(state, 'verification', except).nano;
}

/**
 * The tightest dollar headroom for a request in `phase` and which ceiling it comes from: the
 * run's cap, or in the verification phase the smaller of that and the verification ceiling.
 * In-flight reservations count, but `except`'s.
 */
export function dollarHeadroom(state: BudgetState, phase: Phase, except?: string): { nano: Nano; limit: LimitKind } | null {
  const run = availableNano(state, except);
  const verify = phase === 'verification' ? availableVerifyNano(state, except) : null;
  if (verify !== null && (run === null || verify < run)) return { nano: verify, limit: 'verify' };
  return run === null ? null : { nano: run, limit: 'usd' };
}

/** The same state without in-flight reservations: what will be free once they settle at zero. */
export function withoutReservations(state: BudgetState): BudgetState {
  return { ...state, reserved: {} };
}
