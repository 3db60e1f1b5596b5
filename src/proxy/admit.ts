import type http from 'node:http';
import type { Admission } from '../budget/keeper.js';
import type { GuardFacts } from '../budget/guards.js';
import { phaseAfter } from '../budget/phases.js';
import { availableNano, preview } from '../budget/engine.js';
import type { Nano } from '../budget/money.js';
import type { Alternative, Quote, RequestEvent } from '../budget/types.js';
import type { InputSplit } from '../pricing/price-book.js';
import { seenHints, type Seen } from './conversations.js';
import type { Upstream } from './forward.js';
import { conversationKey, priceRequest, type PricedRequest } from './request-pricing.js';
import { countInput } from './token-count.js';
import type { Provider, RequestInfo } from './providers/types.js';
import { holdWindow } from './window-hold.js';
import type { ProxyDeps } from './proxy-deps.js';

/** The share of a clamped request's reserved output that it is sent with as its ceiling. */
const CLAMP_MARGIN = 0.85;

export interface Admitted {
  id: string;
  model: string;
  inputEstimate: number;
  allowedOut: number;
  clamped: number | null;
  originalBytes: number;
  /** The client marked this as a retry of an earlier attempt (SDKs' x-stainless-retry-count). */
  retry: boolean;
  /** What its input was reserved at, to compare with what it is billed at. */
  reservedInputNano: Nano;
  /** The request as remembered for the ones that continue it; its bill is added at settle. */
  seen: Seen;
  /** Input tokens known from an earlier bill when it was priced (the rest was estimated). */
  sharedTokens: number;
  /** Body bytes that were estimated (not shared with an earlier request). */
  newBytes: number;
  /** The output ceiling the request went out with (the client's, or capped's clamp); null when none. */
  sentCeiling: number | null;
  /** Its estimated bytes refer to content they do not hold: not a sample of tokens per byte. */
  hidden: boolean;
}

/** Where a request's exact input count can be asked for: its upstream, with the agent's own headers. */
export interface CountVia {
  upstream: Upstream;
  headers: http.IncomingHttpHeaders;
  query: string;
}

let sequence = 0;

/** A fresh id for a metered request (unique within the process). */
export function nextRequestId(): string {
  return `q${++sequence}`;
}

export type Admit =
  | {
      ok: true;
      body: Record<string, unknown>;
      path: string;
      admitted: Admitted;
      injectedUsage: boolean;
      /**
       * Asks the ledger for the request's reservation row (not waited for). Call it once the
       * request is on its way: the row's work then follows the send instead of delaying it.
       */
      sent: () => void;
    }
  | { ok: false; status: number; message: string; notify: boolean };

/** A request as read once, before it is priced and decided (as often as a window wait needs). */
interface ReadRequest {
  provider: Provider;
  original: Record<string, unknown>;
  /** The body after the run's rules (restricted tools removed). */
  json: Record<string, unknown>;
  path: string;
  raw: Buffer;
  info: RequestInfo;
  model: string;
  guards: GuardFacts | undefined;
}

/** One decision on a read request: the budget's answer and how the request was priced for it. */
interface Decided {
  id: string;
  decision: Extract<Admission, { type: 'forward' }>;
  priced: PricedRequest;
  alternatives: { selected?: Alternative; downgrade?: Alternative };
}

/**
 * Applies the run's request rules before pricing: the phase the agent's last tool calls put it
 * in, and tools the policy forbids taken out of the request so the model cannot call them.
 */
function applyRules(deps: ProxyDeps, provider: Provider, json: Record<string, unknown>): Record<string, unknown> {
  const phase = phaseAfter(provider.lastToolCalls(json), deps.rules.verifyPatterns);
  if (phase) deps.keeper.dispatch({ type: 'phase', phase, at: deps.now().toISOString() });
  const { body, removed } = provider.withoutTools(json, deps.rules.restrictedTools);
  if (removed.length > 0) deps.notify({ type: 'tools-removed', names: removed });
  return body;
}

/** Reads the request once: rules applied, model and ceiling, what its history says to the guards. */
function readRequest(deps: ProxyDeps, provider: Provider, original: Record<string, unknown>, path: string, raw: Buffer): ReadRequest | Admit {
  const json = applyRules(deps, provider, original);
  const info = provider.inspect(json, path);
  if (!info.model) return { ok: false, status: 400, message: 'capped: the request names no model, so it cannot be priced; it was not sent.', notify: false };
  const guards = deps.guards?.facts(provider.toolSteps(json));
  return { provider, original, json, path, raw, info, model: info.model, guards };
}

/** The request priced on `model` too, when that differs from its own and has a price (its cache is cold there). */
function alternative(deps: ProxyDeps, provider: Provider, model: string | null, own: string, split: InputSplit): Alternative | undefined {
  if (!model || model === own) return undefined;
  const quote = deps.prices.quoteSplit(provider.pricingId, model, split);
  return quote ? { model, quote } : undefined;
}

/** How the budget sees the request at `quote` (with the alternatives it is priced on, when asked to admit it). */
function requestEvent(deps: ProxyDeps, r: ReadRequest, id: string, quote: Quote, alternatives?: Decided['alternatives']): RequestEvent {
  const event: RequestEvent = {
    type: 'request',
    id,
    at: deps.now().toISOString(),
    model: r.model,
    quote,
    maxTokens: r.info.maxTokens ?? r.provider.defaultMaxTokens(r.model),
    clampable: r.info.clampable,
    mainLoop: Array.isArray(r.original.tools) && r.original.tools.length > 0,
  };
  // Set, not spread in: a spread copied the event again on every price asked (issue 11).
  if (r.guards) event.guards = r.guards;
  if (alternatives) event.alternatives = alternatives;
  return event;
}

/** Prices the request and asks the budget, which may hold it while others settle or a question is put. */
async function decide(deps: ProxyDeps, r: ReadRequest, onWaiting: (cancel: () => void) => void, countVia: CountVia | null): Promise<Decided | Admit | null> {
  const id = nextRequestId();
  const { provider, json, model } = r;
  const count =
    provider.counting && countVia
      ? async (): Promise<number | null> => {
          const n = await countInput(provider, countVia.upstream, countVia.headers, json, r.path, countVia.query, model);
          deps.notify({ type: 'counted', ok: n !== null });
          return n;
        }
      : null;
  const pricing = await priceRequest(
    {
      prices: deps.prices,
      estimator: deps.estimator,
      conversations: deps.conversations,
      mode: deps.rules.reserve,
      now: deps.now,
      probe: (quote) => preview(deps.keeper.state, requestEvent(deps, r, id, quote)),
      freeNano: () => availableNano(deps.keeper.state),
      count,
    },
    provider,
    json,
    r.raw,
    model,
  );
  if (!pricing.ok) return { ok: false, status: 400, message: pricing.message, notify: true };
  let priced = pricing.priced;
  const { policy, selected } = deps.keeper.state;
  const alternatives: Decided['alternatives'] = {};
  const onSelected = alternative(deps, provider, selected?.model ?? policy.model, model, priced.prediction.worst);
  if (onSelected) alternatives.selected = onSelected;
  const downgrade = policy.onLimit === 'downgrade' ? alternative(deps, provider, policy.downgradeTo, model, priced.prediction.worst) : undefined;
  if (downgrade) alternatives.downgrade = downgrade;
  onWaiting(() => deps.keeper.cancel(id));
  const decision = await deps.keeper.admit(requestEvent(deps, r, id, priced.quote, alternatives), () => {
    priced = { ...priced, ...pricing.priced.reprice() };
    return requestEvent(deps, r, id, priced.quote, alternatives);
  });
  if (decision === null) return null; // the client gave up while its request was held
  if (decision.type === 'refuse') return { ok: false, status: provider.limitStatus, message: decision.message, notify: true };
  return { id, decision, priced, alternatives };
}

/** The admitted request as it is sent: the budget's model and output clamp applied, remembered for its continuations. */
function prepareSend(deps: ProxyDeps, r: ReadRequest, d: Decided): Admit {
  const { provider, info, model } = r;
  const { decision, priced } = d;
  const { quote, prediction, continuation } = priced;
  const prepared = provider.prepare(r.json, info);
  let body = prepared?.body ?? r.json;
  let sentPath = r.path;
  if (decision.model !== null) {
    ({ body, path: sentPath } = provider.withModel(body, r.path, decision.model));
    deps.notify({ type: 'model-changed', from: model, to: decision.model });
  }
  // A clamped request goes out with a little less than its reservation pays for, so the output
  // estimate's error never ends a response that keeps to its ceiling.
  const clampSent = decision.maxTokens === null ? null : Math.max(1, Math.floor(decision.maxTokens * CLAMP_MARGIN));
  if (clampSent !== null) body = provider.withMaxTokens(body, clampSent);
  const sentModel = decision.model ?? model;
  const seen: Seen = {
    key: conversationKey(provider, sentModel),
    body: r.raw,
    at: deps.now().getTime(),
    hints: seenHints(priced.hints),
    billed: null,
    output: 0,
    responseId: null,
    cacheBasis: decision.model === null ? prediction.cacheBasis : 0,
  };
  deps.conversations.sent(seen);
  const onAlternative = d.alternatives.selected?.model === decision.model ? d.alternatives.selected : d.alternatives.downgrade;
  const reservedInputNano = decision.model === null ? quote.inputNano : (onAlternative?.quote.inputNano ?? quote.inputNano);
  return {
    ok: true,
    sent: () => void deps.reserve?.(d.id, provider.id),
    body: body === r.original ? r.original : body,
    path: sentPath,
    injectedUsage: prepared?.injectedUsage ?? false,
    admitted: {
      id: d.id,
      model: sentModel,
      inputEstimate: prediction.total,
      allowedOut: decision.maxTokens ?? info.maxTokens ?? provider.defaultMaxTokens(model),
      clamped: clampSent,
      originalBytes: r.raw.length,
      retry: false,
      reservedInputNano,
      seen,
      sharedTokens: decision.model === null ? prediction.sharedTokens : 0,
      newBytes: continuation && decision.model === null ? r.raw.length - continuation.sharedBytes : r.raw.length,
      sentCeiling: clampSent ?? info.maxTokens,
      hidden: priced.hidden,
    },
  };
}

/**
 * Prices and reserves one generation request: reads it once, asks the budget, holds the
 * daily/weekly windows (a `pause` wait decides it afresh), and applies what the budget decided.
 * Shared by HTTP and WebSocket. Null when the client went away while the request was held.
 */
export async function admitRequest(
  deps: ProxyDeps,
  provider: Provider,
  original: Record<string, unknown>,
  path: string,
  raw: Buffer,
  onWaiting: (cancel: () => void) => void,
  countVia: CountVia | null = null,
): Promise<Admit | null> {
  const read = readRequest(deps, provider, original, path, raw);
  if ('ok' in read) return read;
  for (let attempt = 0; ; attempt++) {
    const decided = await decide(deps, read, onWaiting, countVia);
    if (decided === null || 'ok' in decided) return decided;
    const window = await holdWindow(deps, decided.id, decided.decision.reservedNano, attempt, onWaiting);
    if (window.type === 'gone') return null;
    if (window.type === 'refused') return { ok: false, status: provider.limitStatus, message: window.message, notify: true };
    // The reservation row is asked for by the caller once the request is sent (Admit.sent), in
    // the same turn of the event loop; the ledger commits that turn's writes at its end. A kill -9
    // could land between the two only within that one turn (issue 11: nothing on the request path
    // waits on the ledger, and building the row, about 15 µs, no longer comes before the send).
    if (window.type === 'held') return prepareSend(deps, read, decided);
  }
}
