import { guardTrip, onGuard } from './guards.js';
import { dollarHeadroom, availableTokens, withoutReservations } from './headroom.js';
import { escalationQuestion, escalationRefusal, idleQuestion, limitMessage, limitQuestion } from './messages.js';
import { costOfTokens, tokensAffordable, type Nano } from './money.js';
import type { Alternative, BudgetAction, BudgetState, LimitKind, RequestEvent, StepResult } from './types.js';

/**
 * The smallest output ceiling worth sending. When the budget cannot pay for this many output
 * tokens on top of the input, the request is a limit instead of clamped to something useless.
 */
export const MIN_OUTPUT_TOKENS = 256;

export function refuse(
  state: BudgetState,
  id: string,
  at: string,
  limit: LimitKind,
  needNano: Nano,
  needTokens: number,
  midResponse = false,
  message?: string,
): StepResult {
  const hardStop = state.hardStop ?? { reason: limit, at };
  const next = { ...state, hardStop };
  const text = message && hardStop.reason === limit ? message : limitMessage(next, hardStop.reason, needNano, needTokens, midResponse);
  const actions: BudgetAction[] = [{ type: 'refuse', id, limit: hardStop.reason, message: text }];
  // Terminate only once: later refusals (stragglers after the stop) reuse the same hard stop.
  if (state.hardStop === null) actions.push({ type: 'terminate', reason: limit });
  return { state: next, actions };
}

type Fit =
  { kind: 'fits'; allowed: number; nano: Nano; tokens: number } | { kind: 'wait' } | { kind: 'limit'; limit: LimitKind; needNano: Nano; needTokens: number };

/** Whether the request, priced by `alt` (or itself), fits what is free now. */
function fit(state: BudgetState, event: RequestEvent, alt: Alternative | null): Fit {
  const quote = alt?.quote ?? event.quote;
  const floor = event.clampable === false ? event.maxTokens : Math.max(1, Math.min(event.maxTokens, MIN_OUTPUT_TOKENS));
  const needNano = quote.inputNano + costOfTokens(floor, quote.outPicoPerToken);
  const needTokens = quote.inputTokens + floor;
  // In-flight reservations usually settle below their worst case, so a request that does not
  // fit only because of them waits for them instead of reaching the limit early.
  const inFlight = Object.keys(state.reserved).length > 0;
  let allowed = event.maxTokens;
  const dollars = dollarHeadroom(state, state.phase);
  if (dollars !== null) {
    if (dollars.nano < needNano) {
      if (inFlight && dollarHeadroom(withoutReservations(state), state.phase)!.nano >= needNano) return { kind: 'wait' };
      return { kind: 'limit', limit: dollars.limit, needNano, needTokens };
    }
    allowed = Math.min(allowed, tokensAffordable(dollars.nano - quote.inputNano, quote.outPicoPerToken));
  }
  const tokens = availableTokens(state);
  if (tokens !== null) {
    if (tokens < needTokens) {
      if (inFlight && availableTokens(withoutReservations(state))! >= needTokens) return { kind: 'wait' };
      return { kind: 'limit', limit: 'tokens', needNano, needTokens };
    }
    allowed = Math.min(allowed, tokens - quote.inputTokens);
  }
  return { kind: 'fits', allowed, nano: quote.inputNano + costOfTokens(allowed, quote.outPicoPerToken), tokens: quote.inputTokens + allowed };
}

/**
 * Whether a request priced as `event` says would be forwarded now, wait for requests in flight,
 * or meet a limit, without deciding anything (a closer price may still be asked for first).
 */
export function preview(state: BudgetState, event: RequestEvent): 'fits' | 'wait' | 'limit' {
  if (state.hardStop !== null) return 'limit';
  return fit(state, event, null).kind;
}

function forward(state: BudgetState, event: RequestEvent, alt: Alternative | null, f: Extract<Fit, { kind: 'fits' }>): StepResult {
  const quote = alt?.quote ?? event.quote;
  const model = alt?.model ?? event.model;
  const reservation = { model, nano: f.nano, tokens: f.tokens, allowedOut: f.allowed, outPicoPerToken: quote.outPicoPerToken, phase: state.phase };
  return {
    state: { ...state, reserved: { ...state.reserved, [event.id]: reservation } },
    actions: [
      {
        type: 'forward',
        id: event.id,
        maxTokens: f.allowed < event.maxTokens ? f.allowed : null,
        model: alt ? alt.model : null,
        reservedNano: f.nano,
      },
    ],
  };
}

/** A request sent on another model: the alternative, and the state that records the change. */
export interface Redirect {
  state: BudgetState;
  alt: Alternative;
}

/** Escalation: a request for a pricier model than the selected one. */
function escalation(state: BudgetState, event: RequestEvent): StepResult | Redirect | null {
  const selected = state.selected;
  if (!selected || state.policy.escalation === 'allow' || event.model === selected.model) return null;
  if (event.quote.outPicoPerToken <= selected.outPicoPerToken) return null;
  if (state.policy.escalation === 'ask') {
    if (Object.keys(state.pending).length > 0) return { state, actions: [{ type: 'defer', id: event.id }] };
    const from = state.caps.usd ?? 0;
    // The proposed ceiling keeps the run's buying power at the pricier model's rates.
    const to = Math.ceil((from * (event.quote.outPicoPerToken / selected.outPicoPerToken)) / 1e7) * 1e7;
    return ask(state, event, 'escalation', null, from, to, escalationQuestion(selected.model, event.model, from, to));
  }
  const denied = denyEscalation(state, event);
  // Never silent: the first denial per model is recorded, as policy's answer.
  if (state.approvals.some((a) => a.kind === 'escalation' && a.model === event.model)) return denied;
  const cap = state.caps.usd ?? 0;
  const recorded = {
    ...denied.state,
    approvals: [...denied.state.approvals, { kind: 'escalation' as const, at: event.at, answer: 'denied' as const, from: cap, to: cap, model: event.model }],
  };
  return { ...denied, state: recorded };
}

/** Escalation not allowed: the request goes to the selected model, or is refused (the run goes on). */
export function denyEscalation(state: BudgetState, event: RequestEvent): StepResult | Redirect {
  const alt = event.alternatives?.selected;
  if (state.policy.escalationDeny === 'send-selected' && alt && state.selected && alt.model === state.selected.model) return { state, alt };
  return {
    state,
    actions: [{ type: 'refuse', id: event.id, limit: 'escalation', message: escalationRefusal(state.selected?.model ?? '', event.model) }],
  };
}

function ask(
  state: BudgetState,
  event: RequestEvent,
  kind: 'limit' | 'escalation' | 'idle',
  limit: LimitKind | null,
  from: Nano,
  to: Nano,
  question: string,
): StepResult {
  return {
    state: { ...state, pending: { ...state.pending, [event.id]: { kind, event, limit, from, to } } },
    actions: [{ type: 'ask', id: event.id, kind, limit, question, from, to, model: event.model }],
  };
}

/** A downgrade only ever makes a request cheaper. */
function isCheaper(alt: Alternative, event: RequestEvent): boolean {
  return alt.model !== event.model && alt.quote.outPicoPerToken < event.quote.outPicoPerToken;
}

/** What the policy does when a request does not fit. */
function atLimit(state: BudgetState, event: RequestEvent, f: Extract<Fit, { kind: 'limit' }>): StepResult {
  const { policy } = state;
  const down = event.alternatives?.downgrade;
  if (policy.onLimit === 'downgrade' && down && isCheaper(down, event) && state.downgradedTo === null && f.limit !== 'actions') {
    const downgraded: BudgetState = {
      ...state,
      downgradedTo: down.model,
      approvals: [
        ...state.approvals,
        { kind: 'downgrade', at: event.at, answer: 'automatic', from: state.caps.usd ?? 0, to: state.caps.usd ?? 0, model: down.model },
      ],
    };
    const again = fit(downgraded, event, down);
    if (again.kind === 'fits') return forward(downgraded, event, down, again);
    if (again.kind === 'wait') return { state: downgraded, actions: [{ type: 'defer', id: event.id }] };
    return refuse(downgraded, event.id, event.at, again.limit, again.needNano, again.needTokens);
  }
  if (policy.onLimit === 'ask' && (f.limit === 'usd' || f.limit === 'verify')) {
    if (Object.keys(state.pending).length > 0) return { state, actions: [{ type: 'defer', id: event.id }] };
    const from = f.limit === 'verify' ? (policy.verifyNano ?? 0) : (state.caps.usd ?? 0);
    const initial = f.limit === 'verify' ? (policy.verifyNano ?? 0) : (state.initialCaps.usd ?? 0);
    // Propose the initial envelope once more, and at least what this request needs.
    const to = from + Math.max(initial, Math.ceil(f.needNano / 1e7) * 1e7);
    return ask(state, event, 'limit', f.limit, from, to, limitQuestion(state, f.limit, from, to));
  }
  return refuse(state, event.id, event.at, f.limit, f.needNano, f.needTokens);
}

/**
 * The run's selected model: the configured one (priced from this request or its alternative), or
 * else the first main-loop request's model. Background calls never select it.
 */
function withSelection(state: BudgetState, event: RequestEvent): BudgetState {
  if (state.selected !== null) return state;
  const configured = state.policy.model;
  if (configured !== null) {
    const alt = event.alternatives?.selected;
    const quote = event.model === configured ? event.quote : alt?.model === configured ? alt.quote : null;
    return quote ? { ...state, selected: { model: configured, outPicoPerToken: quote.outPicoPerToken } } : state;
  }
  return event.mainLoop === true ? { ...state, selected: { model: event.model, outPicoPerToken: event.quote.outPicoPerToken } } : state;
}

/** Decides a generation request: escalation, then whether (and how much of) it fits, then limits. */
export function onRequest(state: BudgetState, event: RequestEvent, skipEscalation = false): StepResult {
  if (state.hardStop !== null) {
    const f = fit(state, event, null);
    return refuse(state, event.id, event.at, state.hardStop.reason, f.kind === 'limit' ? f.needNano : 0, f.kind === 'limit' ? f.needTokens : 0);
  }
  if (state.idle) {
    // Nobody is at the keyboard: nothing more is spent until someone says so.
    if (Object.keys(state.pending).length > 0) return { state, actions: [{ type: 'defer', id: event.id }] };
    const cap = state.caps.usd ?? 0;
    return ask(state, event, 'idle', 'idle', cap, cap, idleQuestion(event.model));
  }
  const trip = guardTrip(state, event.guards);
  if (trip !== null) return onGuard(state, event, trip);
  let current = withSelection(state, event);
  let alt: Alternative | null = null;
  const down = event.alternatives?.downgrade;
  if (current.downgradedTo !== null && down && down.model === current.downgradedTo && isCheaper(down, event)) {
    alt = down; // after a downgrade, every pricier request continues on the cheaper model
  } else if (!skipEscalation && current.downgradedTo === null) {
    const e = escalation(current, event);
    if (e !== null && 'actions' in e) return e;
    if (e !== null) ({ state: current, alt } = e);
  }
  return admitWith(current, event, alt);
}

/** Fits the request as priced by `alt` (or itself): forward, wait, or the policy's limit behaviour. */
export function admitWith(state: BudgetState, event: RequestEvent, alt: Alternative | null): StepResult {
  const f = fit(state, event, alt);
  if (f.kind === 'fits') return forward(state, event, alt, f);
  if (f.kind === 'wait') return { state, actions: [{ type: 'defer', id: event.id }] };
  return atLimit(state, event, f);
}
