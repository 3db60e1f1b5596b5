import { formatUsd, type Nano } from './money.js';
import { totalTokens } from './totals.js';
import type { BudgetState, LimitKind, WindowInfo } from './types.js';

/** What each limit is called in the lines people read (reporter, summary, CI summary). */
export const LIMIT_NAMES: Readonly<Record<LimitKind, string>> = {
  usd: 'spending',
  tokens: 'token',
  actions: 'tool action',
  verify: 'verification',
  idle: 'idle',
  window: 'daily/weekly',
  loop: 'retry-loop',
  scope: 'scope',
};

/** The runaway-pattern guards, whose stop is no cap: the retry loop and the scope. */
export function isGuard(reason: LimitKind): reason is 'loop' | 'scope' {
  return reason === 'loop' || reason === 'scope';
}

/**
 * Why a run was stopped, in words: "the spending cap was reached", or for a guard what it saw
 * ("the same failing step `npm run build` ran 3 times: <last error line>").
 */
export function hardStopText(stop: { reason: LimitKind; detail?: string | undefined }): string {
  if (isGuard(stop.reason) && stop.detail) return stop.detail;
  if (stop.reason === 'loop') return 'the same failing step ran again and again (retry loop)';
  if (stop.reason === 'scope') return 'the agent read more files than the scope limit';
  return `the ${LIMIT_NAMES[stop.reason]} cap was reached`;
}

/**
 * The text an agent (and the person behind it) reads when capped refuses a request: which limit,
 * where the run stands, and the exact flag that raises it.
 */
/**
 * What the refused request needed. A request that arrives after the stop (another conversation's,
 * in flight when it came) needs nothing more: the run is over, and "$0.00" would read as a bug.
 */
function needText(needNano: Nano, midResponse: boolean): string {
  if (midResponse) return stoppedText(needNano);
  return needNano > 0 ? `the next request needs at least ${formatUsd(needNano)}` : 'the run is already stopped at it';
}

export function limitMessage(state: BudgetState, limit: LimitKind, needNano: Nano, needTokens: number, midResponse = false): string {
  if (limit === 'actions') {
    const cap = state.caps.actions ?? 0;
    return (
      `capped: this run's cap of ${cap} tool actions is reached (the model asked for one more; it was not ` +
      `passed on). The agent is being stopped. To allow more, start the run again with a higher ` +
      `--max-actions, e.g. --max-actions ${Math.max(cap * 2, cap + 10)}.`
    );
  }
  if (isGuard(limit)) {
    const why = state.hardStop?.reason === limit ? hardStopText(state.hardStop) : hardStopText({ reason: limit });
    return `capped: this run was stopped: ${why}. The agent is being stopped; see --loop-attempts, --on-loop and --scope-files to change the guards.`;
  }
  if (limit === 'window') {
    return 'capped: the daily or weekly ceiling shared by all runs is reached. The agent is being stopped; the ceiling resets with the next window.';
  }
  if (limit === 'idle') {
    return (
      'capped: the run was stopped while nobody was at the keyboard (the idle pause was answered with stop). ' +
      'To let an agent run unattended, start it with --unattended or a longer --idle.'
    );
  }
  if (limit === 'verify') {
    const cap = state.policy.verifyNano ?? 0;
    return (
      `capped: this run's verification budget of ${formatUsd(cap)} is reached (${formatUsd(state.phaseSpent.verification)} ` +
      `spent on tests, lint and builds; ` +
      needText(needNano, midResponse) +
      `). The agent is being stopped. To allow more, start the run again with a higher --verify-usd, e.g. ` +
      `--verify-usd ${suggestUsd(cap, state.phaseSpent.verification + needNano)}.`
    );
  }
  if (limit === 'tokens') {
    const cap = state.caps.tokens ?? 0;
    return (
      `capped: this run's token cap of ${cap} is reached (${totalTokens(state)} used; ` +
      (midResponse ? 'the response in progress was stopped at the cap' : `the next request needs about ${needTokens}`) +
      `). The agent is being stopped. To allow more, start the run again with a higher ` +
      `--max-tokens, e.g. --max-tokens ${suggestTokens(cap, totalTokens(state) + needTokens)}.`
    );
  }
  const cap = state.caps.usd ?? 0;
  return (
    `capped: this run's spending cap of ${formatUsd(cap)} is reached (${formatUsd(state.spentNano)} spent; ` +
    needText(needNano, midResponse) +
    `). The agent is being stopped. To allow more, start the run ` +
    `again with a higher --max-usd, e.g. --max-usd ${suggestUsd(cap, state.spentNano + needNano)}.`
  );
}

/**
 * A response ended early because other requests in flight hold the room it needed: their
 * reservations are worst cases, so the run is not at its limit and a retry can go through.
 */
export function roomHeldMessage(state: BudgetState): string {
  const cap = state.caps.usd;
  return (
    `capped: this response was ended early to keep the run under its cap: other requests still in flight hold the ` +
    `rest of the budget (${formatUsd(state.spentNano)} spent` +
    (cap === null ? '' : ` of ${formatUsd(cap)}`) +
    `). The run is not at its limit; retrying this request is safe and goes through once they finish.`
  );
}

/** A response stopped mid-way, and what it alone still needed when it was. */
function stoppedText(needNano: Nano): string {
  return `the response in progress was stopped at the cap${needNano > 0 ? `; it alone needed ${formatUsd(needNano)} more` : ''}`;
}

/** A cap that would have let this request through with room to spare, in whole cents. */
function suggestUsd(capNano: Nano, neededNano: Nano): string {
  const nano = Math.max(capNano * 2, neededNano * 1.5);
  return (Math.ceil(nano / 1e7) / 100).toFixed(2);
}

function suggestTokens(cap: number, needed: number): number {
  return Math.ceil(Math.max(cap * 2, needed * 1.5) / 1000) * 1000;
}

/** The question at a dollar limit when the policy is to ask. */
export function limitQuestion(state: BudgetState, limit: LimitKind, from: Nano, to: Nano): string {
  if (limit === 'verify') {
    return (
      `Verification budget reached: ${formatUsd(state.phaseSpent.verification)} of ${formatUsd(from)} ` +
      `spent on tests and checks. Raise it to ${formatUsd(to)}?`
    );
  }
  return `Budget reached: ${formatUsd(state.spentNano)} of ${formatUsd(from)} spent. Raise max spend from ${formatUsd(from)} to ${formatUsd(to)}?`;
}

/** The question before a switch to a pricier model. */
export function escalationQuestion(selected: string, model: string, from: Nano, to: Nano): string {
  return `The agent asks for ${model}, pricier than ${selected}. Switch to ${model} and raise max spend from ${formatUsd(from)} to ${formatUsd(to)}?`;
}

/** What the agent reads when a request for a pricier model is refused. */
export function escalationRefusal(selected: string, model: string): string {
  return (
    `capped: this run uses ${selected}; ${model} costs more and switching models needs approval that was not ` +
    `given (escalation policy). The request was refused; continue on ${selected}, or start the run again with ` +
    `--escalation allow or --model ${model}.`
  );
}

/** The question when the agent wants to spend while nobody has typed for the idle window. */
export function idleQuestion(model: string): string {
  return `Paused: nobody has typed for a while and the agent wants to call ${model}. Continue?`;
}

/** A daily or weekly ceiling shared by every run of the ledger, reached. */
export function windowMessage(w: WindowInfo): string {
  const key = w.kind === 'daily' ? 'daily' : 'weekly';
  return (
    `capped: the ${key} ceiling of ${formatUsd(w.ceilingNano)} across all runs is reached (${formatUsd(w.spentNano)} spent ` +
    `this ${w.kind === 'daily' ? 'day' : 'week'}). The agent is being stopped. It resets at ${w.resetsAt}; to wait for it ` +
    `instead, use --on-limit pause, or raise \`${key}\` in .budgetrc or with CAPPED_${key.toUpperCase()}.`
  );
}

/** The question when a tool call streams in while nobody has typed for the idle window. */
export function idleToolQuestion(): string {
  return 'Paused: nobody has typed for a while. The agent wants to run:';
}
