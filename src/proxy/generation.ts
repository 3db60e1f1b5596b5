import type http from 'node:http';
import type { Admission, ToolVerdict } from '../budget/keeper.js';
import { phaseAfter } from '../budget/phases.js';
import { availableNano, preview } from '../budget/engine.js';
import { roomHeldMessage } from '../budget/messages.js';
import { costOfTokens, type Nano } from '../budget/money.js';
import type { Alternative, Quote, RequestEvent, TokenUsage } from '../budget/types.js';
import type { BillableUsage, InputSplit } from '../pricing/price-book.js';
import type { Seen } from './conversations.js';
import { sendError, upstreamFailure } from './exchange.js';
import { forwardHeaders, sendUpstream, upstreamUrl, type Upstream } from './forward.js';
import { conversationKey, priceRequest } from './request-pricing.js';
import { countInput } from './token-count.js';
import { isSubscriptionLogin } from './credentials.js';
import { asRecord, tryParse } from './providers/json.js';
import type { Provider } from './providers/types.js';
import type { OutputBoundHooks } from './output-bound.js';
import { holdWindow, releaseRequest } from './window-hold.js';
import { relayResponse, type RelayHooks, type RelayOutcome } from './relay.js';
import type { ProxyDeps, Route } from './proxy-deps.js';

/** Rough characters per output token, on the high side of token counts, for estimates only. */
const CHARS_PER_TOKEN = 3;
/** Bytes of new content a continuation needs before its tokens per byte are learned from. */
const MIN_SAMPLE_BYTES = 4096;
/** The share of a clamped request's reserved output that it is sent with as its ceiling. */
const CLAMP_MARGIN = 0.85;
/** Output tokens a response asks for at a time when it reaches its allowance. */
const EXTEND_STEP = 1024;

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
  | { ok: true; body: Record<string, unknown>; path: string; admitted: Admitted; injectedUsage: boolean }
  | { ok: false; status: number; message: string; notify: boolean };

/** The request priced on `model` too, when that differs from its own and has a price (its cache is cold there). */
function alternative(deps: ProxyDeps, provider: Provider, model: string | null, own: string, split: InputSplit): Alternative | undefined {
  if (!model || model === own) return undefined;
  const quote = deps.prices.quoteSplit(provider.pricingId, model, split);
  return quote ? { model, quote } : undefined;
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

/**
 * Prices and reserves one generation request: reads it, quotes it, asks the budget (which may
 * hold it while other requests settle, or while a question is put), and applies what the budget
 * decided: the output clamp, and another model. Shared by HTTP and WebSocket.
 */
export async function admitRequest(
  deps: ProxyDeps,
  provider: Provider,
  original: Record<string, unknown>,
  path: string,
  raw: Buffer,
  onWaiting: (cancel: () => void) => void,
  countVia: CountVia | null = null,
  /** Times the request already waited for a window (--on-limit pause): later waits are longer. */
  attempt = 0,
): Promise<Admit | null> {
  const json = applyRules(deps, provider, original);
  const info = provider.inspect(json, path);
  if (!info.model) return { ok: false, status: 400, message: 'capped: the request names no model, so it cannot be priced; it was not sent.', notify: false };
  const model = info.model;
  const id = nextRequestId();
  const requested = info.maxTokens ?? provider.defaultMaxTokens(model);
  const eventFor = (quote: Quote): RequestEvent => ({
    type: 'request',
    id,
    at: deps.now().toISOString(),
    model,
    quote,
    maxTokens: requested,
    clampable: info.clampable,
    mainLoop: Array.isArray(original.tools) && original.tools.length > 0,
  });
  const pricing = await priceRequest(
    {
      prices: deps.prices,
      estimator: deps.estimator,
      conversations: deps.conversations,
      mode: deps.rules.reserve,
      now: deps.now,
      probe: (quote) => preview(deps.keeper.state, eventFor(quote)),
      freeNano: () => availableNano(deps.keeper.state),
      count:
        provider.counting && countVia
          ? async () => {
              const n = await countInput(provider, countVia.upstream, countVia.headers, json, path, countVia.query, model);
              deps.notify({ type: 'counted', ok: n !== null });
              return n;
            }
          : null,
    },
    provider,
    json,
    raw,
    model,
  );
  if (!pricing.ok) return { ok: false, status: 400, message: pricing.message, notify: true };
  let { quote, prediction, continuation } = pricing.priced;
  const { policy, selected } = deps.keeper.state;
  const alternatives: { selected?: Alternative; downgrade?: Alternative } = {};
  const onSelected = alternative(deps, provider, selected?.model ?? policy.model, model, prediction.worst);
  if (onSelected) alternatives.selected = onSelected;
  const downgrade = policy.onLimit === 'downgrade' ? alternative(deps, provider, policy.downgradeTo, model, prediction.worst) : undefined;
  if (downgrade) alternatives.downgrade = downgrade;
  onWaiting(() => deps.keeper.cancel(id));
  const decision: Admission | null = await deps.keeper.admit({ ...eventFor(quote), alternatives }, () => {
    ({ quote, prediction, continuation } = pricing.priced.reprice());
    return { ...eventFor(quote), alternatives };
  });
  if (decision === null) return null; // the client gave up while its request was held
  if (decision.type === 'refuse') return { ok: false, status: provider.limitStatus, message: decision.message, notify: true };
  const window = await holdWindow(deps, id, decision.reservedNano, attempt, onWaiting);
  if (window.type === 'gone') return null;
  if (window.type === 'retry') return admitRequest(deps, provider, original, path, raw, onWaiting, countVia, attempt + 1);
  if (window.type === 'refused') return { ok: false, status: provider.limitStatus, message: window.message, notify: true };
  await deps.reserve?.(id, provider.id);
  const prepared = provider.prepare(json, info);
  let body = prepared?.body ?? json;
  let sentPath = path;
  if (decision.model !== null) {
    ({ body, path: sentPath } = provider.withModel(body, path, decision.model));
    deps.notify({ type: 'model-changed', from: info.model, to: decision.model });
  }
  // A clamped request goes out with a little less than its reservation pays for, so the output
  // estimate's error never ends a response that keeps to its ceiling.
  const clampSent = decision.maxTokens === null ? null : Math.max(1, Math.floor(decision.maxTokens * CLAMP_MARGIN));
  if (clampSent !== null) body = provider.withMaxTokens(body, clampSent);
  const sentModel = decision.model ?? model;
  const sharedTokens = decision.model === null ? prediction.sharedTokens : 0;
  const seen: Seen = {
    key: conversationKey(provider, sentModel),
    body: raw,
    at: deps.now().getTime(),
    hints: pricing.priced.hints,
    billed: null,
    output: 0,
    responseId: null,
    cacheBasis: decision.model === null ? prediction.cacheBasis : 0,
  };
  deps.conversations.sent(seen);
  const reservedInputNano = decision.model === null ? quote.inputNano : (alternatives.selected?.model === decision.model ? alternatives.selected : alternatives.downgrade)?.quote.inputNano ?? quote.inputNano;
  return {
    ok: true,
    body: body === original ? original : body,
    path: sentPath,
    injectedUsage: prepared?.injectedUsage ?? false,
    admitted: {
      id,
      model: sentModel,
      inputEstimate: prediction.total,
      allowedOut: decision.maxTokens ?? requested,
      clamped: clampSent,
      originalBytes: raw.length,
      retry: false,
      reservedInputNano,
      seen,
      sharedTokens,
      newBytes: continuation && decision.model === null ? raw.length - continuation.sharedBytes : raw.length,
      sentCeiling: clampSent ?? info.maxTokens,
      hidden: pricing.priced.hidden,
    },
  };
}

/** Meters one generation request over HTTP: admit, forward, relay the response, settle. */
export async function handleGeneration(
  deps: ProxyDeps,
  route: Route,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathAndQuery: string,
  body: Buffer,
): Promise<void> {
  const { provider } = route;
  const json = asRecord(tryParse(body.toString('utf8')));
  if (!json) {
    sendError(res, provider.error(400, 'capped: the request body is not a JSON object, so it cannot be metered; it was not sent.'));
    return;
  }
  if (isSubscriptionLogin(req.headers)) deps.notify({ type: 'subscription' });
  let cancel: (() => void) | null = null;
  const onClose = (): void => cancel?.();
  res.once('close', onClose);
  const query = pathAndQuery.includes('?') ? pathAndQuery.slice(pathAndQuery.indexOf('?')) : '';
  const countVia = { upstream: route.upstream, headers: req.headers, query };
  const admit = await admitRequest(deps, provider, json, pathAndQuery.split('?')[0]!, body, (c) => (cancel = c), countVia);
  res.off('close', onClose);
  if (admit === null) return;
  if (!admit.ok) {
    if (admit.notify) deps.notify({ type: 'refused', message: admit.message });
    sendError(res, provider.error(admit.status, admit.message));
    return;
  }
  admit.admitted.retry = Number(req.headers['x-stainless-retry-count'] ?? 0) > 0;
  const outBody = admit.body === json ? body : Buffer.from(JSON.stringify(admit.body));
  await exchange(deps, route, req, res, admit.path + query, outBody, admit.admitted, admit.injectedUsage);
}

function exchange(
  deps: ProxyDeps,
  route: Route,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathAndQuery: string,
  outBody: Buffer,
  admitted: Admitted,
  injectedUsage: boolean,
): Promise<void> {
  return new Promise((resolve) => {
    const meter = route.provider.createMeter({ injectedUsage });
    let clientGone = false;
    let responded = false;
    const headers = forwardHeaders(req.headers, outBody.length);
    // The meter reads the copy as it streams; compressed streams could not be read event by event.
    headers['accept-encoding'] = 'identity';
    const up = sendUpstream(route.upstream, req.method ?? 'POST', upstreamUrl(route.upstream.url, pathAndQuery), headers);
    up.on('response', (response) => {
      responded = true;
      const hooks: RelayHooks = {
        holdBodies: deps.keeper.state.caps.actions !== null,
        ...outputBoundHooks(deps, route.provider, admitted),
        allowToolCall: () => {
          const verdict = deps.keeper.toolCall(admitted.id, deps.now().toISOString(), meter.lastTool?.());
          const notifyRefusal = (v: ToolVerdict): ToolVerdict => {
            if (!v.allowed) deps.notify({ type: 'refused', message: v.message });
            return v;
          };
          if ('hold' in verdict) return { hold: verdict.hold.then(notifyRefusal) };
          return notifyRefusal(verdict);
        },
      };
      void relayResponse({ provider: route.provider, meter, upstream: response, res, hooks, clientGone: () => clientGone, allowedOut: admitted.allowedOut }).then((outcome) => {
        settle(deps, route.provider, admitted, outcome);
        resolve();
      });
    });
    up.on('error', (err) => {
      if (responded) return; // the relay settles it
      const failure = upstreamFailure(route, err);
      releaseRequest(deps, admitted.id);
      deps.notify({ type: 'upstream-error', message: failure.message });
      if (!clientGone) sendError(res, failure.error, true);
      resolve();
    });
    res.on('close', () => {
      if (res.writableFinished) return;
      // The agent went away mid-response. Keep reading the upstream to its end so the usage the
      // provider bills is still counted exactly.
      clientGone = true;
    });
    up.end(outBody);
  });
}

/** How a streamed response's output is kept within its reservation (SSE and WebSocket alike). */
export function outputBoundHooks(deps: ProxyDeps, provider: Provider, admitted: Admitted): OutputBoundHooks {
  return {
    inputKnown: (reading) => {
      const u = reading.usage;
      const input = { input: u.input ?? 0, output: 0, cacheRead: u.cacheRead ?? 0, cacheWrite5m: u.cacheWrite5m ?? 0, cacheWrite1h: u.cacheWrite1h ?? 0, webSearches: 0 };
      const inputNano = deps.prices.cost(provider.pricingId, admitted.model, input);
      if (inputNano === null) return null;
      const inputTokens = input.input + input.cacheRead + input.cacheWrite5m + input.cacheWrite1h;
      const actions = deps.keeper.dispatch({ type: 'input-known', id: admitted.id, inputNano, inputTokens });
      const truncate = actions.find((a) => a.type === 'truncate');
      return truncate ? { outputTokens: truncate.outputTokens, limit: truncate.limit } : null;
    },
    allowance: () => deps.keeper.state.reserved[admitted.id]?.allowedOut ?? admitted.allowedOut,
    sentCeiling: admitted.sentCeiling,
    outputTokens: (chars) => deps.outputs.tokens(chars),
    now: () => performance.now(),
    extend: (produced) => {
      const r = deps.keeper.state.reserved[admitted.id];
      const current = r?.allowedOut ?? admitted.allowedOut;
      const actions = deps.keeper.dispatch({ type: 'extend', id: admitted.id, outputTokens: Math.max(produced + EXTEND_STEP, Math.ceil(current * 1.5)) });
      const extended = actions.find((a) => a.type === 'extended');
      return extended ? { allowedOut: extended.allowedOut, short: extended.short } : { allowedOut: current, short: 'usd' };
    },
    yieldRoom: () => {
      const message = roomHeldMessage(deps.keeper.state);
      deps.notify({ type: 'refused', message });
      return message;
    },
    cut: (limit) => {
      const r = deps.keeper.state.reserved[admitted.id];
      const actions = deps.keeper.dispatch({ type: 'cut', id: admitted.id, at: deps.now().toISOString(), limit, needNano: r ? costOfTokens(EXTEND_STEP, r.outPicoPerToken) : 0 });
      const refusal = actions.find((a) => a.type === 'refuse');
      const message = refusal?.message ?? 'capped: the budget ended this response.';
      deps.notify({ type: 'refused', message });
      return message;
    },
  };
}

/** Charges a finished response: exact usage when the provider reported it, else an estimate. */
export function settle(deps: ProxyDeps, provider: Provider, admitted: Admitted, outcome: RelayOutcome): void {
  // Already charged at its reservation (abandoned when the run ended): a request settles once.
  if (!(admitted.id in deps.keeper.state.reserved)) return;
  const { reading, status, bytes } = outcome;
  const u = reading.usage;
  if (status >= 400 && u.input === null && u.output === null) {
    releaseRequest(deps, admitted.id);
    return;
  }
  const estimated = !reading.complete;
  let output = u.output ?? 0;
  if (estimated) {
    // Never $0: what streamed (or, unreadable, the raw bytes) stands in for the missing count,
    // bounded by the ceiling the request was sent with.
    const basis = reading.outputChars > 0 ? reading.outputChars : reading.malformed > 0 ? bytes : 0;
    output = Math.min(admitted.allowedOut, Math.max(output, basis === reading.outputChars ? deps.outputs.tokens(basis) : Math.ceil(basis / CHARS_PER_TOKEN)));
  }
  const billable: BillableUsage = {
    input: u.input ?? admitted.inputEstimate,
    output,
    cacheRead: u.cacheRead ?? 0,
    cacheWrite5m: u.cacheWrite5m ?? 0,
    cacheWrite1h: u.cacheWrite1h ?? 0,
    webSearches: u.webSearches ?? 0,
  };
  const responseModel = reading.model;
  let model = admitted.model;
  let cost = responseModel ? deps.prices.cost(provider.pricingId, responseModel, billable) : null;
  if (cost !== null && responseModel) model = responseModel;
  cost ??= deps.prices.cost(provider.pricingId, admitted.model, billable);
  // The request was quoted with this model, so a price exists; keep the reservation as the charge
  // if the price data changed under us rather than ever counting $0.
  const costNano = cost ?? deps.keeper.state.reserved[admitted.id]?.nano ?? 0;
  const usage: TokenUsage = {
    input: billable.input,
    output: billable.output,
    cacheRead: billable.cacheRead,
    cacheWrite: billable.cacheWrite5m + billable.cacheWrite1h,
  };
  const phase = deps.keeper.state.reserved[admitted.id]?.phase ?? deps.keeper.state.phase;
  const at = deps.now().toISOString();
  const billedInput = { input: billable.input, cacheRead: billable.cacheRead, cacheWrite5m: billable.cacheWrite5m, cacheWrite1h: billable.cacheWrite1h };
  const billedInputNano = deps.prices.cost(provider.pricingId, model, { ...billedInput, output: 0, webSearches: 0 }) ?? admitted.reservedInputNano;
  // Learned before the settle is dispatched: requests waiting for it are priced again from it.
  if (!estimated) {
    learn(deps, admitted, billedInput, billable.output, reading.responseId ?? null);
    deps.outputs.observe(reading.outputChars, billable.output);
  }
  deps.keeper.dispatch({ type: 'settle', id: admitted.id, at, model, usage, costNano, estimated: estimated || cost === null });
  // An upstream that produced more than the ceiling it was sent with ignores output limits: a
  // response read whole could not be cut, so nothing more may go through it.
  const overrun = admitted.sentCeiling !== null && u.output !== null && u.output > admitted.sentCeiling;
  deps.notify({
    type: 'settled',
    id: admitted.id,
    model,
    costNano,
    usage,
    estimated,
    clamped: admitted.clamped,
    retry: admitted.retry,
    provider: provider.id,
    phase,
    reservedInputNano: admitted.reservedInputNano,
    billedInputNano,
    overrun,
  });
  if (overrun) {
    deps.notify({ type: 'refused', message: overrunMessage(model, admitted.sentCeiling ?? 0, u.output ?? 0) });
    deps.keeper.dispatch({ type: 'overrun', id: admitted.id, at });
  }
}

/** What a settled request teaches: the conversation's bill, and this run's tokens per byte. */
function learn(deps: ProxyDeps, admitted: Admitted, billed: InputSplit, output: number, responseId: string | null): void {
  deps.conversations.settled(admitted.seen, billed, output, responseId);
  const total = billed.input + billed.cacheRead + billed.cacheWrite5m + billed.cacheWrite1h;
  // New bytes of a continuation teach the ratio only when there are enough of them to be a sample;
  // bytes that refer to a file or a URL never do (its tokens are not in them).
  if (admitted.hidden) return;
  if (admitted.sharedTokens === 0) deps.estimator.observe(admitted.originalBytes, total);
  else if (admitted.newBytes >= MIN_SAMPLE_BYTES) deps.estimator.observe(admitted.newBytes, total - admitted.sharedTokens);
}

function overrunMessage(model: string, ceiling: number, output: number): string {
  return (
    `capped: the upstream for ${model} produced ${output} output tokens although the request allowed at most ${ceiling}: it ` +
    `ignores output limits, so capped cannot keep spend under the cap through it. The run is being stopped. Check the ` +
    `gateway or base URL the agent uses.`
  );
}
