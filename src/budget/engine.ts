import { admitWith, denyEscalation, MIN_OUTPUT_TOKENS, onRequest, refuse } from './admission.js';
import { availableTokens, dollarHeadroom, withoutReservations } from './headroom.js';
import { guardStop, markContinued, NO_MARKS } from './guards.js';
import { idleToolQuestion, windowMessage } from './messages.js';
import { costOfTokens, tokensAffordable, type Nano } from './money.js';
import type { BudgetAction, BudgetEvent, BudgetState, Caps, EnginePolicy, LimitKind, Reservation, StepResult } from './types.js';

export { MIN_OUTPUT_TOKENS };
export { preview } from './admission.js';
export { availableNano, availableTokens } from './headroom.js';

/** The policy of a plain `capped run`: stop at the cap, no escalation rules, no phase ceiling. */
export const DEFAULT_POLICY: EnginePolicy = {
  onLimit: 'stop',
  downgradeTo: null,
  escalation: 'allow',
  escalationDeny: 'send-selected',
  verifyNano: null,
  model: null,
  loop: { attempts: 3, onLoop: 'stop' },
  scope: { files: null, onScope: 'stop' },
};

export function initialState(caps: Caps, policy: EnginePolicy = DEFAULT_POLICY): BudgetState {
  return {
    caps,
    initialCaps: caps,
    configCaps: caps,
    policy,
    initialPolicy: policy,
    spentNano: 0,
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    requests: 0,
    actions: 0,
    reserved: {},
    models: {},
    mostExpensive: null,
    hardStop: null,
    estimated: false,
    phase: 'implementation',
    phaseSpent: { implementation: 0, verification: 0 },
    selected: null,
    downgradedTo: null,
    approvals: [],
    pending: {},
    idle: false,
    guards: NO_MARKS,
  };
}

/** Whether the run went beyond its initial envelope: asked for more, downgraded, or hard-stopped. */
export function exceededInitialBudget(state: BudgetState): boolean {
  const overspent = state.initialCaps.usd !== null && state.spentNano > state.initialCaps.usd;
  return overspent || state.hardStop !== null || state.approvals.some((a) => a.kind === 'downgrade' || (a.kind === 'limit' && a.answer === 'approved'));
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
      return refuse(state, event.id, event.at, event.limit, event.needNano ?? 0, 0, true);
    case 'extend':
      return onExtend(state, event);
    case 'overrun': {
      if (state.hardStop !== null) return { state, actions: [] };
      const reason: LimitKind = state.reserved[event.id]?.phase === 'verification' && state.policy.verifyNano !== null ? 'verify' : 'usd';
      return { state: { ...state, hardStop: { reason, at: event.at } }, actions: [{ type: 'terminate', reason }] };
    }
    case 'release':
      if (!(event.id in state.reserved)) return { state, actions: [] };
      return { state: withoutReservation(state, event.id), actions: [{ type: 'released', id: event.id }] };
    case 'abandon': {
      const r = state.reserved[event.id];
      if (!r) return { state, actions: [] };
      // Worst case stands in for the unknown outcome: never less than the request could have cost.
      const usage = { input: 0, output: r.tokens, cacheRead: 0, cacheWrite: 0 };
      return onSettle(state, { type: 'settle', id: event.id, at: event.at, model: r.model, usage, costNano: r.nano, estimated: true });
    }
    case 'answer':
      return onAnswer(state, event);
    case 'withdraw': {
      if (!(event.id in state.pending)) return { state, actions: [] };
      return { state: { ...state, pending: withoutKey(state.pending, event.id) }, actions: [{ type: 'ask-closed', id: event.id }] };
    }
    case 'policy':
      return onPolicy(state, event);
    case 'window-limit':
      return refuse(withoutReservation(state, event.id), event.id, event.at, 'window', 0, 0, false, windowMessage(event.window));
    case 'idle':
      return { state: state.idle ? state : { ...state, idle: true }, actions: [] };
    case 'phase':
      if (state.phase === event.phase) return { state, actions: [] };
      return { state: { ...state, phase: event.phase }, actions: [{ type: 'phase-changed', phase: event.phase }] };
  }
}

function withoutKey<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const next = { ...record };
  delete next[key];
  return next;
}

function onAnswer(state: BudgetState, event: Extract<BudgetEvent, { type: 'answer' }>): StepResult {
  const pending = state.pending[event.id];
  if (!pending) return { state, actions: [] };
  const base: BudgetState = { ...state, pending: withoutKey(state.pending, event.id) };
  if (pending.kind === 'idle-tool') {
    const answered: BudgetState = {
      ...base,
      approvals: [...base.approvals, { kind: 'idle', at: event.at, answer: event.approve ? 'approved' : 'denied', from: pending.from, to: pending.from }],
    };
    if (!event.approve) return refuse(answered, pending.requestId, event.at, 'idle', 0, 0);
    return onToolCall({ ...answered, idle: false }, { type: 'tool-call', id: pending.requestId, at: event.at });
  }
  if (pending.kind === 'guard') {
    const answered: BudgetState = {
      ...base,
      approvals: [
        ...base.approvals,
        { kind: pending.trip.reason, at: event.at, answer: event.approve ? 'approved' : 'denied', from: pending.from, to: pending.from },
      ],
    };
    if (!event.approve) return guardStop(answered, event.id, event.at, pending.trip);
    return onRequest(markContinued(answered, pending.trip), pending.event);
  }
  if (pending.kind === 'idle') {
    const answered: BudgetState = {
      ...base,
      approvals: [...base.approvals, { kind: 'idle', at: event.at, answer: event.approve ? 'approved' : 'denied', from: pending.from, to: pending.from }],
    };
    if (!event.approve) return refuse(answered, event.id, event.at, 'idle', 0, 0);
    return onRequest({ ...answered, idle: false }, pending.event);
  }
  const to = event.approve && event.addNano !== undefined ? pending.from + event.addNano : pending.to;
  const approval = {
    kind: pending.kind,
    at: event.at,
    answer: event.approve ? ('approved' as const) : ('denied' as const),
    from: pending.from,
    to: event.approve ? to : pending.from,
  };
  const recorded: BudgetState = {
    ...base,
    approvals: [...base.approvals, pending.kind === 'escalation' ? { ...approval, model: pending.event.model } : approval],
  };
  if (pending.kind === 'escalation') {
    if (!event.approve) {
      const denied = denyEscalation(recorded, pending.event);
      return 'actions' in denied ? denied : admitWith(denied.state, pending.event, denied.alt);
    }
    const approved: BudgetState = {
      ...recorded,
      caps: { ...recorded.caps, usd: recorded.caps.usd === null ? null : to },
      selected: { model: pending.event.model, outPicoPerToken: pending.event.quote.outPicoPerToken },
    };
    return onRequest(approved, pending.event, true);
  }
  if (!event.approve) {
    const q = pending.event.quote;
    const need = q.inputNano + costOfTokens(Math.min(pending.event.maxTokens, MIN_OUTPUT_TOKENS), q.outPicoPerToken);
    return refuse(recorded, event.id, event.at, pending.limit ?? 'usd', need, q.inputTokens);
  }
  const raised: BudgetState =
    pending.limit === 'verify' ? { ...recorded, policy: { ...recorded.policy, verifyNano: to } } : { ...recorded, caps: { ...recorded.caps, usd: to } };
  return onRequest(raised, pending.event, true);
}

/**
 * A new policy: caps and rules change from the next decision on (a lowered cap applies at the next
 * request). A held limit question whose request now fits under a raised cap is settled: the
 * request goes on without an answer.
 */
function onPolicy(state: BudgetState, event: Extract<BudgetEvent, { type: 'policy' }>): StepResult {
  // Raises approved at the terminal stay on top of whatever the file now says.
  const approvedRaise = state.caps.usd !== null && state.configCaps.usd !== null ? Math.max(0, state.caps.usd - state.configCaps.usd) : 0;
  const usd = event.caps.usd === null ? null : event.caps.usd + approvedRaise;
  let next: BudgetState = { ...state, caps: { ...event.caps, usd }, configCaps: event.caps, policy: event.policy };
  if (usd !== null && state.caps.usd !== null && usd > state.caps.usd) {
    // Raising the cap by editing the policy is asking for more: recorded, and a breach of the envelope.
    next = { ...next, approvals: [...next.approvals, { kind: 'limit', at: event.at, answer: 'approved', from: state.caps.usd, to: usd }] };
  }
  const actions: BudgetAction[] = [];
  for (const [id, pending] of Object.entries(state.pending)) {
    if (pending.kind !== 'limit') continue;
    const without: BudgetState = { ...next, pending: withoutKey(next.pending, id) };
    const decided = onRequest(without, pending.event, true);
    if (decided.actions.some((a) => a.type === 'forward')) {
      next = decided.state;
      actions.push({ type: 'ask-closed', id }, ...decided.actions);
    }
  }
  return { state: next, actions };
}

/** The key of the question about request `id`'s held tool call. */
export function toolAskId(id: string): string {
  return `${id}#tool`;
}

function onToolCall(state: BudgetState, event: Extract<BudgetEvent, { type: 'tool-call' }>): StepResult {
  const cap = state.caps.actions;
  if (state.hardStop !== null || (cap !== null && state.actions >= cap)) {
    return refuse(state, event.id, event.at, state.hardStop?.reason ?? 'actions', 0, 0);
  }
  if (state.idle) {
    // Nobody at the keyboard: the tool call is held before the agent can run it.
    const key = toolAskId(event.id);
    const usd = state.caps.usd ?? 0;
    const pending = { ...state.pending, [key]: { kind: 'idle-tool' as const, requestId: event.id, limit: 'idle' as const, from: usd, to: usd } };
    const detail = event.tool ? `\`${event.tool}\`` : 'a tool';
    return {
      state: { ...state, pending },
      actions: [{ type: 'ask', id: key, kind: 'idle', limit: 'idle', question: idleToolQuestion(), detail, from: usd, to: usd, model: '' }],
    };
  }
  return { state: { ...state, actions: state.actions + 1 }, actions: [{ type: 'allow-tool', id: event.id }] };
}

function onInputKnown(state: BudgetState, event: Extract<BudgetEvent, { type: 'input-known' }>): StepResult {
  const r = state.reserved[event.id];
  if (!r) return { state, actions: [] };
  const input = { nano: event.inputNano, tokens: event.inputTokens };
  const { out, limit } = outputRoom(state, event.id, r.allowedOut, true, input);
  const reservation = { ...r, nano: input.nano + costOfTokens(out, r.outPicoPerToken), tokens: input.tokens + out, allowedOut: out };
  const next = { ...state, reserved: { ...state.reserved, [event.id]: reservation } };
  // The estimate was high: the slack goes back to other requests. Low: the output must stop short.
  const actions: BudgetAction[] = out < r.allowedOut ? [{ type: 'truncate', id: event.id, outputTokens: out, limit: limit ?? 'usd' }] : [];
  return { state: next, actions };
}

/** The input part of a reservation: what it holds beyond its allowed output. */
function reservedInput(r: Reservation): { nano: Nano; tokens: number } {
  return { nano: r.nano - costOfTokens(r.allowedOut, r.outPicoPerToken), tokens: r.tokens - r.allowedOut };
}

/**
 * The most output request `id` can be allowed, up to `wanted`, by dollars and tokens: what is
 * left after settled spend and, unless `othersToo` is false, other requests' reservations.
 */
function outputRoom(
  state: BudgetState,
  id: string,
  wanted: number,
  othersToo: boolean,
  input: { nano: Nano; tokens: number } = reservedInput(state.reserved[id]!),
): { out: number; limit: LimitKind | null } {
  const r = state.reserved[id]!;
  const { nano: inputNano, tokens: inputTokens } = input;
  // Its own reservation is left out of the count, not out of a copy of the state.
  const base = othersToo ? state : withoutReservations(state);
  let out = wanted;
  let limit: LimitKind | null = null;
  const dollars = dollarHeadroom(base, r.phase, id);
  if (dollars !== null) {
    const affordable = Math.max(0, tokensAffordable(dollars.nano - inputNano, r.outPicoPerToken));
    if (affordable < out) [out, limit] = [affordable, dollars.limit];
  }
  const free = availableTokens(base, id);
  if (free !== null && free - inputTokens < out) [out, limit] = [Math.max(0, free - inputTokens), 'tokens'];
  return { out, limit };
}

/**
 * A response reached its output allowance: it gets more when the budget can pay for it. Less
 * than asked is `wait` when only other requests' reservations stand in the way.
 */
function onExtend(state: BudgetState, event: Extract<BudgetEvent, { type: 'extend' }>): StepResult {
  const r = state.reserved[event.id];
  if (!r) return { state, actions: [] };
  const wanted = Math.max(r.allowedOut, event.outputTokens);
  const room = outputRoom(state, event.id, wanted, true);
  const out = Math.max(r.allowedOut, room.out);
  let short: null | 'wait' | LimitKind = null;
  if (out < wanted) short = outputRoom(state, event.id, wanted, false).out > out ? 'wait' : (room.limit ?? 'usd');
  const input = reservedInput(r);
  const reservation = { ...r, nano: input.nano + costOfTokens(out, r.outPicoPerToken), tokens: input.tokens + out, allowedOut: out };
  return {
    state: { ...state, reserved: { ...state.reserved, [event.id]: reservation } },
    actions: [{ type: 'extended', id: event.id, allowedOut: out, short }],
  };
}

function withoutReservation(state: BudgetState, id: string): BudgetState {
  if (!(id in state.reserved)) return state;
  return { ...state, reserved: withoutKey(state.reserved, id) };
}

function onSettle(state: BudgetState, event: Extract<BudgetEvent, { type: 'settle' }>): StepResult {
  const phase = state.reserved[event.id]?.phase ?? state.phase;
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
    mostExpensive: isCostliest ? { nano: event.costNano, model: event.model, phase, at: event.at } : base.mostExpensive,
    estimated: base.estimated || event.estimated,
    phaseSpent: { ...base.phaseSpent, [phase]: base.phaseSpent[phase] + event.costNano },
  };
  return { state: next, actions: [{ type: 'settled', id: event.id, costNano: event.costNano, spentNano: next.spentNano }] };
}
