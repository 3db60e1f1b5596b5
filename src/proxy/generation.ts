import type { AgentRequest } from './agent-request.js';
import type { AgentResponse } from './agent-response.js';
import type { ToolVerdict } from '../budget/keeper.js';
import { roomHeldMessage } from '../budget/messages.js';
import { costOfTokens } from '../budget/money.js';
import type { TokenUsage } from '../budget/types.js';
import type { BillableUsage, InputSplit } from '../pricing/price-book.js';
import { admitRequest, type Admit, type Admitted } from './admit.js';
import { sendError, upstreamFailure } from './exchange.js';
import { forwardHeaders, requestUpstream } from './forward.js';
import { isSubscriptionLogin } from './credentials.js';
import type { RequestBodies } from './request-bodies.js';
import { spliceTopLevel } from './body-splice.js';
import type { Provider } from './providers/types.js';
import type { OutputBoundHooks } from './output-bound.js';
import { releaseRequest } from './window-hold.js';
import { monotonicMs } from '../monotonic-clock.js';
import { relayResponse, type RelayHooks, type RelayOutcome } from './relay.js';
import type { ProxyDeps, Route } from './proxy-deps.js';

/** Rough characters per output token, on the high side of token counts, for estimates only. */
const CHARS_PER_TOKEN = 3;
/** Bytes of new content a continuation needs before its tokens per byte are learned from. */
const MIN_SAMPLE_BYTES = 4096;
/** Output tokens a response asks for at a time when it reaches its allowance. */
const EXTEND_STEP = 1024;

/** Meters one generation request over HTTP: admit, forward, relay the response, settle. */
export async function handleGeneration(
  deps: ProxyDeps,
  route: Route,
  req: AgentRequest,
  res: AgentResponse,
  pathAndQuery: string,
  body: Buffer,
  bodies: RequestBodies,
): Promise<void> {
  const { provider } = route;
  const json = bodies.parse(body, provider.historyKey ?? null);
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
  // An edited body (model, output ceiling, usage option, tools) keeps the client's bytes but for the members edited.
  const outBody = admit.body === json ? body : (spliceTopLevel(body, json, admit.body) ?? Buffer.from(JSON.stringify(admit.body)));
  await exchange(deps, route, req, res, admit.path + query, outBody, admit);
}

function exchange(
  deps: ProxyDeps,
  route: Route,
  req: AgentRequest,
  res: AgentResponse,
  pathAndQuery: string,
  outBody: Buffer,
  { admitted, injectedUsage, sent }: Pick<Extract<Admit, { ok: true }>, 'admitted' | 'injectedUsage' | 'sent'>,
): Promise<void> {
  return new Promise((resolve) => {
    const meter = route.provider.createMeter({ injectedUsage });
    let clientGone = false;
    let responded = false;
    const headers = forwardHeaders(req.headers, outBody.length);
    // The meter reads the copy as it streams; compressed streams could not be read event by event.
    headers['accept-encoding'] = 'identity';
    const up = requestUpstream(route.upstream, req.method ?? 'POST', pathAndQuery, headers, outBody);
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
      void relayResponse({
        provider: route.provider,
        meter,
        upstream: response,
        res,
        hooks,
        clientGone: () => clientGone,
        allowedOut: admitted.allowedOut,
      }).then((outcome) => {
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
    sent();
  });
}

/** How a streamed response's output is kept within its reservation (SSE and WebSocket alike). */
export function outputBoundHooks(deps: ProxyDeps, provider: Provider, admitted: Admitted): OutputBoundHooks {
  return {
    inputKnown: (reading) => {
      const u = reading.usage;
      const input = {
        input: u.input ?? 0,
        output: 0,
        cacheRead: u.cacheRead ?? 0,
        cacheWrite5m: u.cacheWrite5m ?? 0,
        cacheWrite1h: u.cacheWrite1h ?? 0,
        webSearches: 0,
      };
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
    now: monotonicMs,
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
      const actions = deps.keeper.dispatch({
        type: 'cut',
        id: admitted.id,
        at: deps.now().toISOString(),
        limit,
        needNano: r ? costOfTokens(EXTEND_STEP, r.outPicoPerToken) : 0,
      });
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
