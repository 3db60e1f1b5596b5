import type http from 'node:http';
import type { Admission, ToolVerdict } from '../budget/keeper.js';
import { phaseAfter } from '../budget/phases.js';
import type { Alternative, TokenUsage } from '../budget/types.js';
import type { BillableUsage } from '../pricing/price-book.js';
import { sendError, upstreamFailure } from './exchange.js';
import { forwardHeaders, sendUpstream, upstreamUrl } from './forward.js';
import { isSubscriptionLogin } from './credentials.js';
import { asRecord, tryParse } from './providers/json.js';
import type { Provider } from './providers/types.js';
import { holdWindow } from './window-hold.js';
import { relayResponse, type RelayHooks, type RelayOutcome } from './relay.js';
import type { ProxyDeps, Route } from './server.js';

/** Rough characters per output token, on the high side of token counts, for estimates only. */
const CHARS_PER_TOKEN = 3;

export interface Admitted {
  id: string;
  model: string;
  inputEstimate: number;
  allowedOut: number;
  clamped: number | null;
  originalBytes: number;
  /** The client marked this as a retry of an earlier attempt (SDKs' x-stainless-retry-count). */
  retry: boolean;
}

let sequence = 0;

/** A fresh id for a metered request (unique within the process). */
export function nextRequestId(): string {
  return `q${++sequence}`;
}

export type Admit =
  | { ok: true; body: Record<string, unknown>; path: string; admitted: Admitted; injectedUsage: boolean }
  | { ok: false; status: number; message: string; notify: boolean };

/** The request priced on `model` too, when that differs from its own and has a price. */
function alternative(deps: ProxyDeps, provider: Provider, model: string | null, own: string, inputTokens: number): Alternative | undefined {
  if (!model || model === own) return undefined;
  const quote = deps.prices.quote(provider.pricingId, model, inputTokens);
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
  bodyBytes: number,
  onWaiting: (cancel: () => void) => void,
  /** Times the request already waited for a window (--on-limit pause): later waits are longer. */
  attempt = 0,
): Promise<Admit | null> {
  const json = applyRules(deps, provider, original);
  const info = provider.inspect(json, path);
  if (!info.model) return { ok: false, status: 400, message: 'capped: the request names no model, so it cannot be priced; it was not sent.', notify: false };
  const inputEstimate = deps.estimator.estimate(bodyBytes);
  const quote = deps.prices.quote(provider.pricingId, info.model, inputEstimate);
  if (!quote) {
    const message =
      `capped: no price is known for model "${info.model}", so capped cannot keep this run under its cap and ` +
      `refused the request. Use a model with a published price, or update capped to get newer price data.`;
    return { ok: false, status: 400, message, notify: true };
  }
  const id = nextRequestId();
  const requested = info.maxTokens ?? provider.defaultMaxTokens(info.model);
  const { policy, selected } = deps.keeper.state;
  const alternatives: { selected?: Alternative; downgrade?: Alternative } = {};
  const onSelected = alternative(deps, provider, selected?.model ?? policy.model, info.model, inputEstimate);
  if (onSelected) alternatives.selected = onSelected;
  const downgrade = policy.onLimit === 'downgrade' ? alternative(deps, provider, policy.downgradeTo, info.model, inputEstimate) : undefined;
  if (downgrade) alternatives.downgrade = downgrade;
  onWaiting(() => deps.keeper.cancel(id));
  const decision: Admission | null = await deps.keeper.admit({
    type: 'request',
    id,
    at: deps.now().toISOString(),
    model: info.model,
    quote,
    maxTokens: requested,
    clampable: info.clampable,
    mainLoop: Array.isArray(original.tools) && original.tools.length > 0,
    alternatives,
  });
  if (decision === null) return null; // the client gave up while its request was held
  if (decision.type === 'refuse') return { ok: false, status: provider.limitStatus, message: decision.message, notify: true };
  const window = await holdWindow(deps, id, decision.reservedNano, attempt, onWaiting);
  if (window.type === 'gone') return null;
  if (window.type === 'retry') return admitRequest(deps, provider, original, path, bodyBytes, onWaiting, attempt + 1);
  if (window.type === 'refused') return { ok: false, status: provider.limitStatus, message: window.message, notify: true };
  const prepared = provider.prepare(json, info);
  let body = prepared?.body ?? json;
  let sentPath = path;
  if (decision.model !== null) {
    ({ body, path: sentPath } = provider.withModel(body, path, decision.model));
    deps.notify({ type: 'model-changed', from: info.model, to: decision.model });
  }
  if (decision.maxTokens !== null) body = provider.withMaxTokens(body, decision.maxTokens);
  return {
    ok: true,
    body: body === original ? original : body,
    path: sentPath,
    injectedUsage: prepared?.injectedUsage ?? false,
    admitted: {
      id,
      model: decision.model ?? info.model,
      inputEstimate,
      allowedOut: decision.maxTokens ?? requested,
      clamped: decision.maxTokens,
      originalBytes: bodyBytes,
      retry: false,
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
  const admit = await admitRequest(deps, provider, json, pathAndQuery.split('?')[0]!, body.length, (c) => (cancel = c));
  res.off('close', onClose);
  if (admit === null) return;
  if (!admit.ok) {
    if (admit.notify) deps.notify({ type: 'refused', message: admit.message });
    sendError(res, provider.error(admit.status, admit.message));
    return;
  }
  admit.admitted.retry = Number(req.headers['x-stainless-retry-count'] ?? 0) > 0;
  const outBody = admit.body === json ? body : Buffer.from(JSON.stringify(admit.body));
  const query = pathAndQuery.includes('?') ? pathAndQuery.slice(pathAndQuery.indexOf('?')) : '';
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
        inputKnown: (reading) => {
          const u = reading.usage;
          const input = { input: u.input ?? 0, output: 0, cacheRead: u.cacheRead ?? 0, cacheWrite5m: u.cacheWrite5m ?? 0, cacheWrite1h: u.cacheWrite1h ?? 0, webSearches: 0 };
          const inputNano = deps.prices.cost(route.provider.pricingId, admitted.model, input);
          if (inputNano === null) return null;
          const inputTokens = input.input + input.cacheRead + input.cacheWrite5m + input.cacheWrite1h;
          const actions = deps.keeper.dispatch({ type: 'input-known', id: admitted.id, inputNano, inputTokens });
          const truncate = actions.find((a) => a.type === 'truncate');
          return truncate ? { outputTokens: truncate.outputTokens, limit: truncate.limit } : null;
        },
        cut: (limit) => {
          const actions = deps.keeper.dispatch({ type: 'cut', id: admitted.id, at: deps.now().toISOString(), limit });
          const refusal = actions.find((a) => a.type === 'refuse');
          const message = refusal?.message ?? 'capped: the budget ended this response.';
          deps.notify({ type: 'refused', message });
          return message;
        },
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
      deps.keeper.dispatch({ type: 'release', id: admitted.id });
      deps.window?.release(admitted.id);
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

/** Charges a finished response: exact usage when the provider reported it, else an estimate. */
export function settle(deps: ProxyDeps, provider: Provider, admitted: Admitted, outcome: RelayOutcome): void {
  const { reading, status, bytes } = outcome;
  const u = reading.usage;
  if (status >= 400 && u.input === null && u.output === null) {
    deps.keeper.dispatch({ type: 'release', id: admitted.id });
    deps.window?.release(admitted.id);
    return;
  }
  const estimated = !reading.complete;
  let output = u.output ?? 0;
  if (estimated) {
    // Never $0: what streamed (or, unreadable, the raw bytes) stands in for the missing count,
    // bounded by the ceiling the request was sent with.
    const basis = reading.outputChars > 0 ? reading.outputChars : reading.malformed > 0 ? bytes : 0;
    output = Math.min(admitted.allowedOut, Math.max(output, Math.ceil(basis / CHARS_PER_TOKEN)));
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
  deps.keeper.dispatch({ type: 'settle', id: admitted.id, at: deps.now().toISOString(), model, usage, costNano, estimated: estimated || cost === null });
  if (!estimated) deps.estimator.observe(admitted.originalBytes, usage.input + usage.cacheRead + usage.cacheWrite);
  deps.notify({ type: 'settled', id: admitted.id, model, costNano, usage, estimated, clamped: admitted.clamped, retry: admitted.retry, provider: provider.id, phase });
}
