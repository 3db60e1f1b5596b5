import type { GuardFacts, GuardMarks, GuardTrip } from './guard-types.js';
export type { GuardFacts, GuardMarks, GuardTrip } from './guard-types.js';
import type { BudgetAction, BudgetState, EnginePolicy, PendingAsk, RequestEvent, StepResult } from './types.js';

/**
 * The runaway-pattern guards: a step that keeps failing the same way (retry loop), and an agent
 * that reads far more files than a task needs (scope). The proxy reads the facts from each
 * request's history; here the policy decides whether they stop the run or put a question.
 */

export const NO_MARKS: GuardMarks = { loop: null, scopeFiles: 0 };

/** The guard a request trips, if any. A continued streak trips again only `attempts` failures later. */
export function guardTrip(state: BudgetState, facts: GuardFacts | undefined): GuardTrip | null {
  if (!facts) return null;
  const { loop, scope } = state.policy;
  const streak = facts.loop;
  if (loop.onLoop !== 'off' && streak !== null && streak.count >= loop.attempts) {
    const mark = state.guards.loop;
    if (!(mark !== null && mark.id === streak.id && streak.count < mark.count + loop.attempts)) return { reason: 'loop', streak };
  }
  if (scope.files !== null && facts.filesRead > state.guards.scopeFiles + scope.files) return { reason: 'scope', files: facts.filesRead, limit: scope.files };
  return null;
}

/** Why the run stopped, in words for the summary: "the same failing step `npm run build` ran 3 times: …". */
export function guardDetail(trip: GuardTrip): string {
  if (trip.reason === 'loop') return `the same failing step \`${trip.streak.step}\` ran ${trip.streak.count} times: ${trip.streak.lastError}`;
  return `the agent read ${trip.files} files, past the scope limit of ${trip.limit}`;
}

/** What the agent (and the person behind it) reads when a guard ends the run. */
export function guardMessage(trip: GuardTrip, policy: EnginePolicy): string {
  if (trip.reason === 'loop') {
    const attempts = policy.loop.attempts;
    return (
      `capped: the same failing step \`${trip.streak.step}\` ran ${trip.streak.count} times in a row (last error: ${trip.streak.lastError}). ` +
      `The agent is being stopped so it does not keep paying for retries. To allow more attempts, start the run again with ` +
      `--loop-attempts ${attempts * 2}, or --on-loop off.`
    );
  }
  return (
    `capped: the agent has read ${trip.files} files in this run, past its scope limit of ${trip.limit}. The agent is being stopped. ` +
    `To allow more, start the run again with a higher --scope-files, e.g. --scope-files ${trip.limit * 2}, or --scope-files off.`
  );
}

/** The question at a terminal; the detail under it is the last error line for a loop. */
function guardQuestion(trip: GuardTrip): { question: string; detail?: string } {
  if (trip.reason === 'loop') {
    return { question: `Retry loop: \`${trip.streak.step}\` failed ${trip.streak.count} times in a row. Last error:`, detail: trip.streak.lastError };
  }
  return { question: `Scope: the agent has read ${trip.files} files, past the limit of ${trip.limit}. Continue?` };
}

/** Ends the run for a guard: the request is refused, the hard stop says why, the agent is ended. */
export function guardStop(state: BudgetState, id: string, at: string, trip: GuardTrip): StepResult {
  const message = guardMessage(trip, state.policy);
  if (state.hardStop !== null) return { state, actions: [{ type: 'refuse', id, limit: state.hardStop.reason, message }] };
  const next: BudgetState = { ...state, hardStop: { reason: trip.reason, at, detail: guardDetail(trip) } };
  return {
    state: next,
    actions: [
      { type: 'refuse', id, limit: trip.reason, message },
      { type: 'terminate', reason: trip.reason },
    ],
  };
}

/** A tripped guard: stop, or hold the request and ask (one question at a time). */
export function onGuard(state: BudgetState, event: RequestEvent, trip: GuardTrip): StepResult {
  const policy = trip.reason === 'loop' ? state.policy.loop.onLoop : state.policy.scope.onScope;
  if (policy !== 'ask') return guardStop(state, event.id, event.at, trip);
  if (Object.keys(state.pending).length > 0) return { state, actions: [{ type: 'defer', id: event.id }] };
  const cap = state.caps.usd ?? 0;
  const pending: PendingAsk = { kind: 'guard', event, limit: trip.reason, from: cap, to: cap, trip };
  const { question, detail } = guardQuestion(trip);
  const action: BudgetAction = {
    type: 'ask',
    id: event.id,
    kind: 'guard',
    limit: trip.reason,
    question,
    from: cap,
    to: cap,
    model: event.model,
    ...(detail ? { detail } : {}),
  };
  return { state: { ...state, pending: { ...state.pending, [event.id]: pending } }, actions: [action] };
}

/** The person let the run go on past `trip`: the same streak, or the same scope, is not asked about again soon. */
export function markContinued(state: BudgetState, trip: GuardTrip): BudgetState {
  const guards: GuardMarks =
    trip.reason === 'loop' ? { ...state.guards, loop: { id: trip.streak.id, count: trip.streak.count } } : { ...state.guards, scopeFiles: trip.files };
  return { ...state, guards };
}
