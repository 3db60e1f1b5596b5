import { costOfTokens, tokensAffordable, type Nano } from './money.js';
import { limitMessage } from './messages.js';
import { totalTokens } from './totals.js';
import type { BudgetAction, BudgetEvent, BudgetState, Caps, LimitKind, StepResult } from './types.js';

/**
 * The smallest output ceiling worth sending. When the budget cannot pay for this many output
 * tokens on top of the input, the request is refused instead of clamped to something useless.
 */
export const MIN_OUTPUT_TOKENS = 256;

export function initialState(caps: Caps): BudgetState {
  return {
    caps,
    spentNano: 0,
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    requests: 0,
    actions: 0,
    reserved: {},
    models: {},
    mostExpensive: null,
    hardStop: null,
    estimated: false,
  };
}

function reservedTotals(state: BudgetState): { nano: Nano; tokens: number } {
  let nano = 0;
  let tokens = 0;
  for (const r of Object.values(state.reserved)) {
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

/** One pure transition of the budget: no clocks, no I/O; timestamps arrive inside events. */
export function step(state: BudgetState, event: BudgetEvent): StepResult {
  switch (event.type) {
    case 'request':
      return onRequest(state, event);
    case 'settle':
      return onSettle(state, event);
    case 'tool-call':
      return onToolCall(state, event);
    case 'input-known':
      return onInputKnown(state, event);
    case 'cut':
      return refuse(state, event.id, event.at, event.limit, 0, 0, true);
    case 'release':
      return { state: withoutReservation(state, event.id), actions: [] };
    case 'abandon': {
      const r = state.reserved[event.id];
      if (!r) return { state, actions: [] };
      // Worst case stands in for the unknown outcome: never less than the request could have cost.
      const usage = { input: 0, output: r.tokens, cacheRead: 0, cacheWrite: 0 };
      return onSettle(state, { type: 'settle', id: event.id, at: event.at, model: r.model, usage, costNano: r.nano, estimated: true });
    }
  }
}

function refuse(
  state: BudgetState,
  id: string,
  at: string,
  limit: LimitKind,
  needNano: Nano,
  needTokens: number,
  midResponse = false,
): StepResult {
  const hardStop = state.hardStop ?? { reason: limit, at };
  const next = { ...state, hardStop };
  const actions: BudgetAction[] = [
    { type: 'refuse', id, limit: hardStop.reason, message: limitMessage(next, hardStop.reason, needNano, needTokens, midResponse) },
  ];
  // Terminate only once: later refusals (stragglers after the stop) reuse the same hard stop.
  if (state.hardStop === null) actions.push({ type: 'terminate', reason: limit });
  return { state: next, actions };
}

function onRequest(state: BudgetState, event: Extract<BudgetEvent, { type: 'request' }>): StepResult {
  const { quote } = event;
  const floor = event.clampable === false ? event.maxTokens : Math.max(1, Math.min(event.maxTokens, MIN_OUTPUT_TOKENS));
  const floorNano = quote.inputNano + costOfTokens(floor, quote.outPicoPerToken);
  const floorTokens = quote.inputTokens + floor;
  if (state.hardStop !== null) return refuse(state, event.id, event.at, state.hardStop.reason, floorNano, floorTokens);

  // In-flight reservations usually settle below their worst case, so a request that does not
  // fit only because of them waits for them instead of ending the run early.
  const inFlight = Object.keys(state.reserved).length > 0;
  const settledOnly = { ...state, reserved: {} };
  let allowed = event.maxTokens;
  const freeNano = availableNano(state);
  if (freeNano !== null) {
    if (freeNano < floorNano) {
      if (inFlight && availableNano(settledOnly)! >= floorNano) return defer(state, event.id);
      return refuse(state, event.id, event.at, 'usd', floorNano, floorTokens);
    }
    allowed = Math.min(allowed, tokensAffordable(freeNano - quote.inputNano, quote.outPicoPerToken));
  }
  const freeTokens = availableTokens(state);
  if (freeTokens !== null) {
    if (freeTokens < floorTokens) {
      if (inFlight && availableTokens(settledOnly)! >= floorTokens) return defer(state, event.id);
      return refuse(state, event.id, event.at, 'tokens', floorNano, floorTokens);
    }
    allowed = Math.min(allowed, freeTokens - quote.inputTokens);
  }

  const nano = quote.inputNano + costOfTokens(allowed, quote.outPicoPerToken);
  const reservation = { model: event.model, nano, tokens: quote.inputTokens + allowed, allowedOut: allowed, outPicoPerToken: quote.outPicoPerToken };
  const reserved = { ...state.reserved, [event.id]: reservation };
  return {
    state: { ...state, reserved },
    actions: [{ type: 'forward', id: event.id, maxTokens: allowed < event.maxTokens ? allowed : null, reservedNano: nano }],
  };
}

function onToolCall(state: BudgetState, event: Extract<BudgetEvent, { type: 'tool-call' }>): StepResult {
  const cap = state.caps.actions;
  if (state.hardStop !== null || (cap !== null && state.actions >= cap)) {
    return refuse(state, event.id, event.at, state.hardStop?.reason ?? 'actions', 0, 0);
  }
  return { state: { ...state, actions: state.actions + 1 }, actions: [{ type: 'allow-tool', id: event.id }] };
}

function onInputKnown(state: BudgetState, event: Extract<BudgetEvent, { type: 'input-known' }>): StepResult {
  const r = state.reserved[event.id];
  if (!r) return { state, actions: [] };
  const others = withoutReservation(state, event.id);
  let out = r.allowedOut;
  let limit: LimitKind = 'usd';
  const freeNano = availableNano(others);
  if (freeNano !== null) out = Math.min(out, Math.max(0, tokensAffordable(freeNano - event.inputNano, r.outPicoPerToken)));
  const freeTokens = availableTokens(others);
  if (freeTokens !== null && freeTokens - event.inputTokens < out) {
    out = Math.max(0, freeTokens - event.inputTokens);
    limit = 'tokens';
  }
  const reservation = {
    ...r,
    nano: event.inputNano + costOfTokens(out, r.outPicoPerToken),
    tokens: event.inputTokens + out,
    allowedOut: out,
  };
  const next = { ...state, reserved: { ...state.reserved, [event.id]: reservation } };
  // The estimate was high: the slack goes back to other requests. Low: the output must stop short.
  const actions: BudgetAction[] = out < r.allowedOut ? [{ type: 'truncate', id: event.id, outputTokens: out, limit }] : [];
  return { state: next, actions };
}

function defer(state: BudgetState, id: string): StepResult {
  return { state, actions: [{ type: 'defer', id }] };
}

function withoutReservation(state: BudgetState, id: string): BudgetState {
  if (!(id in state.reserved)) return state;
  const reserved = { ...state.reserved };
  delete reserved[id];
  return { ...state, reserved };
}

function onSettle(state: BudgetState, event: Extract<BudgetEvent, { type: 'settle' }>): StepResult {
  const base = withoutReservation(state, event.id);
  const u = event.usage;
  const prev = base.models[event.model] ?? { nano: 0, requests: 0 };
  const isCostliest = base.mostExpensive === null || event.costNano > base.mostExpensive.nano;
  const next: BudgetState = {
    ...base,
    spentNano: base.spentNano + event.costNano,
    usage: {
      input: base.usage.input + u.input,
      output: base.usage.output + u.output,
      cacheRead: base.usage.cacheRead + u.cacheRead,
      cacheWrite: base.usage.cacheWrite + u.cacheWrite,
    },
    requests: base.requests + 1,
    models: { ...base.models, [event.model]: { nano: prev.nano + event.costNano, requests: prev.requests + 1 } },
    mostExpensive: isCostliest
      ? { nano: event.costNano, model: event.model, phase: 'implementation', at: event.at }
      : base.mostExpensive,
    estimated: base.estimated || event.estimated,
  };
  return { state: next, actions: [{ type: 'settled', id: event.id, costNano: event.costNano, spentNano: next.spentNano }] };
}
