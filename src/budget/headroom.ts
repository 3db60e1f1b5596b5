import type { Nano } from './money.js';
import { totalTokens } from './totals.js';
import type { BudgetState, LimitKind, Phase } from './types.js';

function reservedTotals(state: BudgetState, phase?: Phase): { nano: Nano; tokens: number } {
  let nano = 0;
  let tokens = 0;
  for (const r of Object.values(state.reserved)) {
    if (phase && r.phase !== phase) continue;
    nano += r.nano;
    tokens += r.tokens;
  }
  return { nano, tokens };
}

/** Dollars still free: cap minus settled spend minus what in-flight requests hold. */
export function availableNano(state: BudgetState): Nano | null {
  if (state.caps.usd === null) return null;
  return state.caps.usd - state.spentNano - reservedTotals(state).nano;
}

/** Tokens still free under `--max-tokens`, counting in-flight reservations. */
export function availableTokens(state: BudgetState): number | null {
  if (state.caps.tokens === null) return null;
  return state.caps.tokens - totalTokens(state) - reservedTotals(state).tokens;
}

/** Dollars still free in the verification phase's own ceiling (null when it has none). */
export function availableVerifyNano(state: BudgetState): Nano | null {
  if (state.policy.verifyNano === null) return null;
  return state.policy.verifyNano - state.phaseSpent.verification - reservedTotals(state, 'verification').nano;
}

/**
 * The tightest dollar headroom for a request in `phase` and which ceiling it comes from: the
 * run's cap, or in the verification phase the smaller of that and the verification ceiling.
 */
export function dollarHeadroom(state: BudgetState, phase: Phase): { nano: Nano; limit: LimitKind } | null {
  const run = availableNano(state);
  const verify = phase === 'verification' ? availableVerifyNano(state) : null;
  if (verify !== null && (run === null || verify < run)) return { nano: verify, limit: 'verify' };
  return run === null ? null : { nano: run, limit: 'usd' };
}

/** The same state without in-flight reservations: what will be free once they settle at zero. */
export function withoutReservations(state: BudgetState): BudgetState {
  return { ...state, reserved: {} };
}
