import type http from 'node:http';
import { forwardHeaders, responseHeaders, sendUpstream, upstreamUrl } from './forward.js';
import type { ErrorBody } from './providers/types.js';
import type { Route } from './server.js';
import type { Nano } from '../budget/money.js';
import type { Phase, TokenUsage, WindowInfo } from '../budget/types.js';

/** Things the proxy tells the rest of capped (reporter, record); never prompt text or keys. */
export type ProxyNotice =
  | {
      type: 'settled';
      id: string;
      model: string;
      costNano: Nano;
      usage: TokenUsage;
      estimated: boolean;
      clamped: number | null;
      /** A retry of an earlier attempt, by the client's own marker. */
      retry: boolean;
      /** The provider module that read it (anthropic, openai-chat, openai-responses, gemini). */
      provider: string;
      phase: Phase;
      /** What its input was reserved at before it was sent, and what it was billed at. */
      reservedInputNano: Nano;
      billedInputNano: Nano;
      /** The upstream produced more output than the ceiling the request was sent with. */
      overrun: boolean;
    }
  /** The provider's exact input count was asked for before deciding a request (`ok`: it answered). */
  | { type: 'counted'; ok: boolean }
  | { type: 'refused'; message: string }
  | { type: 'upstream-error'; message: string }
  /** A request was paid by a subscription login: its spend is the API-equivalent price. */
  | { type: 'subscription' }
  /** Restricted tools were taken out of a request. */
  | { type: 'tools-removed'; names: string[] }
  /** A request waits for a daily/weekly window to have room (--on-limit pause). */
  | { type: 'window-wait'; window: WindowInfo }
  /** A request was sent to another model than it named (escalation denied, downgrade). */
  | { type: 'model-changed'; from: string; to: string };

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Reads a whole request body; null when it is larger than the proxy accepts. */
export async function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? null : Buffer.concat(chunks);
}

/** Sends an error the agent must not retry: capped's refusals do not change by retrying. */
export function sendError(res: http.ServerResponse, error: ErrorBody, retry = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(error.body),
    'x-should-retry': retry ? 'true' : 'false',
  });
  res.end(error.body);
}

export function upstreamFailure(route: Route, err: Error): { message: string; error: ErrorBody } {
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  const message = `capped: could not reach the upstream API at ${route.upstream.url.origin} (${code}). The request was not sent and nothing was charged.`;
  return { message, error: route.provider.error(502, message) };
}

/** Forwards a request capped does not meter (count_tokens, model listings) unchanged. */
export function passThrough(
  route: Route,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathAndQuery: string,
  body: Buffer | null,
  notify: (notice: ProxyNotice) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const url = upstreamUrl(route.upstream.url, pathAndQuery);
    const headers = forwardHeaders(req.headers, body ? body.length : null);
    if (!body && req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
    if (!body && req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
    const up = sendUpstream(route.upstream, req.method ?? 'GET', url, headers);
    up.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, responseHeaders(upRes.headers));
      upRes.pipe(res);
      upRes.on('end', resolve);
      upRes.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    up.on('error', (err) => {
      const failure = upstreamFailure(route, err);
      notify({ type: 'upstream-error', message: failure.message });
      sendError(res, failure.error, true);
      resolve();
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
      resolve();
    });
    if (body) up.end(body);
    else req.pipe(up);
  });
}
