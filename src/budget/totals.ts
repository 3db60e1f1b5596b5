import type { BudgetState } from './types.js';

/** Tokens of every kind settled so far: the quantity `--max-tokens` caps. */
export function totalTokens(state: BudgetState): number {
  const u = state.usage;
  return u.input + u.output + u.cacheRead + u.cacheWrite;
}
