import type { BudgetState } from '../budget/types.js';
import type { BarFields, BarPhase, BarStatus } from './bar-layout.js';
import { formatUsdShort } from '../model/format.js';
import { formatCount } from './format.js';
import { fractionOf } from './levels.js';

/** What the bar shows that the budget state does not hold. */
export interface BarView {
  /** What the supervisor is doing: running, or paused for idleness (the state knows the rest). */
  status: BarStatus;
  /** Overrides the model shown (default: the downgrade target, else the selected model). */
  model?: string | null;
  /** The burn-rate forecast's text (see forecast-text.ts); null while too little is known. */
  forecast?: string | null;
}

const tokensUsed = (s: BudgetState): number => s.usage.input + s.usage.output + s.usage.cacheRead + s.usage.cacheWrite;

/** The verification phase against its own ceiling; implementation spend once verification has a ceiling. */
function phaseOf(state: BudgetState): BarPhase | null {
  const verifyCap = state.policy.verifyNano;
  if (state.phase === 'verification') {
    const spent = state.phaseSpent.verification;
    return {
      name: 'verify',
      spent: formatUsdShort(spent),
      cap: verifyCap === null ? null : formatUsdShort(verifyCap),
      fraction: fractionOf(spent, verifyCap),
    };
  }
  if (verifyCap === null) return null;
  return { name: 'impl', spent: formatUsdShort(state.phaseSpent.implementation), cap: null, fraction: null };
}

function statusOf(state: BudgetState, view: BarView): BarStatus {
  if (state.hardStop !== null) return 'stopped';
  if (view.status !== 'running') return view.status;
  // Idle: the next spending step waits for an answer, whether or not it has come yet.
  if (state.idle) return 'paused: idle';
  return Object.keys(state.pending).length > 0 ? 'waiting for approval' : 'running';
}

/** The bar's fields from the budget state: the one place that turns engine numbers into bar text. */
export function barFromState(state: BudgetState, view: BarView): BarFields {
  const { caps } = state;
  const tokens = tokensUsed(state);
  // The gauge follows the dollar cap; without one, the token cap, then the action cap.
  const fraction =
    caps.usd !== null
      ? fractionOf(state.spentNano, caps.usd)
      : caps.tokens !== null
        ? fractionOf(tokens, caps.tokens)
        : fractionOf(state.actions, caps.actions);
  const left = (cap: number, used: number): number => Math.max(0, cap - used);
  const actionsLeft = caps.actions === null ? null : left(caps.actions, state.actions);
  return {
    spent: formatUsdShort(state.spentNano),
    cap: caps.usd === null ? null : formatUsdShort(caps.usd),
    fraction,
    remaining: caps.usd === null ? null : `${formatUsdShort(left(caps.usd, state.spentNano))} left`,
    tokensLeft: caps.tokens === null ? null : `${formatCount(left(caps.tokens, tokens))} tokens left`,
    actionsLeft: actionsLeft === null ? null : `${formatCount(actionsLeft)} ${actionsLeft === 1 ? 'action' : 'actions'} left`,
    phase: phaseOf(state),
    costliest: state.mostExpensive ? `top ${formatUsdShort(state.mostExpensive.nano)}` : null,
    forecast: view.forecast ?? null,
    model: view.model !== undefined ? view.model : (state.downgradedTo ?? state.selected?.model ?? null),
    status: statusOf(state, view),
  };
}
