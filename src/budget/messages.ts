import { formatUsd, type Nano } from './money.js';
import { totalTokens } from './totals.js';
import type { BudgetState, LimitKind } from './types.js';

/**
 * The text an agent (and the person behind it) reads when capped refuses a request: which limit,
 * where the run stands, and the exact flag that raises it.
 */
export function limitMessage(state: BudgetState, limit: LimitKind, needNano: Nano, needTokens: number): string {
  if (limit === 'tokens') {
    const cap = state.caps.tokens ?? 0;
    return (
      `capped: this run's token cap of ${cap} is reached (${totalTokens(state)} used; the next request needs ` +
      `about ${needTokens}). The agent is being stopped. To allow more, start the run again with a higher ` +
      `--max-tokens, e.g. --max-tokens ${suggestTokens(cap)}.`
    );
  }
  const cap = state.caps.usd ?? 0;
  return (
    `capped: this run's spending cap of ${formatUsd(cap)} is reached (${formatUsd(state.spentNano)} spent; the next ` +
    `request needs at least ${formatUsd(needNano)}). The agent is being stopped. To allow more, start the run ` +
    `again with a higher --max-usd, e.g. --max-usd ${suggestUsd(cap)}.`
  );
}

function suggestUsd(capNano: Nano): string {
  return ((capNano * 2) / 1e9).toFixed(2);
}

function suggestTokens(cap: number): number {
  return cap * 2;
}
