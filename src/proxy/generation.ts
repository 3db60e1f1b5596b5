import type http from 'node:http';
import type { TokenUsage } from '../budget/types.js';
import type { BillableUsage } from '../pricing/price-book.js';
import { forwardHeaders, responseHeaders, sendUpstream, upstreamUrl } from './forward.js';
import { sendError, upstreamFailure } from './exchange.js';
import { asRecord, tryParse } from './providers/json.js';
import type { MeterReading, Provider } from './providers/types.js';
import { ResponseTap } from './response-tap.js';
import type { ProxyDeps, Route } from './server.js';

/**
 * Status of a budget refusal. 402 (`billing_error` in Anthropic's shape) is outside every SDK's
 * retry list, so the agent surfaces the message at once instead of retrying into the cap.
 */
export const LIMIT_STATUS = 402;

/** Rough characters per output token, on the high side of token counts, for estimates only. */
const CHARS_PER_TOKEN = 3;

interface Admitted {
  id: string;
  model: string;
  inputEstimate: number;
  allowedOut: number;
  clamped: number | null;
}

let sequence = 0;

/** Meters one generation request: price, reserve (maybe clamp), forward, stream back, settle. */
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
  const info = provider.inspect(json);
  if (!info.model) {
    sendError(res, provider.error(400, 'capped: the request names no model, so it cannot be priced; it was not sent.'));
    return;
  }
  const inputEstimate = deps.estimator.estimate(body.length);
  const quote = deps.prices.quote(provider.pricingId, info.model, inputEstimate);
  if (!quote) {
    const message =
      `capped: no price is known for model "${info.model}", so capped cannot keep this run under its cap and ` +
      `refused the request. Use a model with a published price, or update capped to get newer price data.`;
    deps.notify({ type: 'refused', message });
    sendError(res, provider.error(400, message));
    return;
  }

  const id = `q${++sequence}`;
  const requested = info.maxTokens ?? provider.defaultMaxTokens(info.model);
  const onClientGone = (): void => deps.keeper.cancel(id);
  res.once('close', onClientGone);
  const decision = await deps.keeper.admit({ type: 'request', id, at: deps.now().toISOString(), model: info.model, quote, maxTokens: requested });
  res.off('close', onClientGone);
  if (decision === null) return; // the client gave up while its request was held
  if (decision.type === 'refuse') {
    const message = decision.message;
    deps.notify({ type: 'refused', message });
    sendError(res, provider.error(LIMIT_STATUS, message));
    return;
  }
  const outBody = decision.maxTokens === null ? body : Buffer.from(JSON.stringify(provider.withMaxTokens(json, decision.maxTokens)));
  const admitted: Admitted = {
    id,
    model: info.model,
    inputEstimate,
    allowedOut: decision.maxTokens ?? requested,
    clamped: decision.maxTokens,
  };
  await exchange(deps, route, req, res, pathAndQuery, outBody, body.length, admitted);
}

function exchange(
  deps: ProxyDeps,
  route: Route,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathAndQuery: string,
  outBody: Buffer,
  originalBytes: number,
  admitted: Admitted,
): Promise<void> {
  return new Promise((resolve) => {
    const meter = route.provider.createMeter();
    let clientGone = false;
    let done = false;
    let upRes: http.IncomingMessage | null = null;

    const finish = (reading: MeterReading | null, status: number, bytes: number): void => {
      if (done) return;
      done = true;
      settle(deps, route.provider, admitted, reading, status, bytes, originalBytes);
      resolve();
    };

    const up = sendUpstream(route.upstream, req.method ?? 'POST', upstreamUrl(route.upstream.url, pathAndQuery), forwardHeaders(req.headers, outBody.length));
    up.on('response', (response) => {
      upRes = response;
      const status = response.statusCode ?? 502;
      const tap = new ResponseTap(meter, String(response.headers['content-type'] ?? ''), String(response.headers['content-encoding'] ?? ''));
      if (!clientGone) res.writeHead(status, responseHeaders(response.headers));
      response.on('data', (chunk: Buffer) => {
        tap.push(chunk);
        if (clientGone) return;
        // Pass each chunk on as it arrives; only the client's own backpressure slows the upstream.
        if (!res.write(chunk)) {
          response.pause();
          res.once('drain', () => response.resume());
        }
      });
      response.on('close', () => {
        if (!response.complete && !clientGone) res.destroy();
        else if (!clientGone) res.end();
        void tap.end().then(() => {
          const reading = meter.reading();
          finish(response.complete ? reading : { ...reading, complete: false }, status, tap.bytes);
        });
      });
    });
    up.on('error', (err) => {
      if (upRes) return; // the response's own close handler settles it
      const failure = upstreamFailure(route, err);
      deps.keeper.dispatch({ type: 'release', id: admitted.id });
      deps.notify({ type: 'upstream-error', message: failure.message });
      if (!clientGone) sendError(res, failure.error, true);
      done = true;
      resolve();
    });
    res.on('close', () => {
      if (res.writableFinished) return;
      // The agent went away mid-response. Keep reading the upstream to its end so the usage the
      // provider bills is still counted exactly.
      clientGone = true;
      upRes?.resume();
    });
    up.end(outBody);
  });
}

function settle(
  deps: ProxyDeps,
  provider: Provider,
  admitted: Admitted,
  reading: MeterReading | null,
  status: number,
  bytes: number,
  originalBytes: number,
): void {
  const u = reading?.usage;
  const nothingBilled = status >= 400 && (u?.input ?? null) === null && (u?.output ?? null) === null;
  if (!reading || !u || nothingBilled) {
    deps.keeper.dispatch({ type: 'release', id: admitted.id });
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
  deps.keeper.dispatch({ type: 'settle', id: admitted.id, at: deps.now().toISOString(), model, usage, costNano, estimated: estimated || cost === null, toolCalls: reading.toolCalls });
  if (!estimated) deps.estimator.observe(originalBytes, usage.input + usage.cacheRead + usage.cacheWrite);
  deps.notify({ type: 'settled', id: admitted.id, model, costNano, usage, estimated, clamped: admitted.clamped });
}
