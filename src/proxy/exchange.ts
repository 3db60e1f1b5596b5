import { BufferedRequest, type AgentRequest } from './agent-request.js';
import type { AgentResponse } from './agent-response.js';
import type { Readable } from 'node:stream';
import { forwardHeaders, responseHeaders, sendUpstream } from './forward.js';
import { UpstreamProtocolError } from './response-parser.js';
import { requestWasSent } from './upstream-pool.js';
import type { ErrorBody } from './providers/types.js';
import type { Route } from './proxy-deps.js';
import type { ProxyNotice } from '../model/notices.js';

// Re-exported: the proxy's modules and the run journal name it from here.
export type { ProxyNotice };

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Reads a whole request body; null when it is larger than the proxy accepts (the rest is read
 * and dropped). Rejects when the stream fails or closes before its end (the client hung up).
 * Listeners, not `for await`: the async iterator costs about 25 µs a request on this path.
 */
export function readBody(req: Readable): Promise<Buffer | null> {
  // Read whole already by capped's own connection (agent-connection.ts).
  if (req instanceof BufferedRequest) return Promise.resolve(req.body);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.once('end', () => {
      ended = true;
      resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks, size));
    });
    req.once('error', reject);
    req.once('close', () => {
      if (!ended) reject(new Error('the request closed before its body ended'));
    });
  });
}

/** Sends an error the agent must not retry: capped's refusals do not change by retrying. */
export function sendError(res: AgentResponse, error: ErrorBody, retry = false): void {
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

/**
 * What to tell the agent (and the run) when a request got no answer. Whether it was sent decides
 * the words: one that went out may have been generated and billed, though capped counted no cost.
 */
export function upstreamFailure(route: Route, err: Error): { message: string; error: ErrorBody } {
  const origin = route.upstream.url.origin;
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  let message: string;
  // A garbled answer may have come before the request was written whole: it may still be billed.
  if (!requestWasSent(err) && !(err instanceof UpstreamProtocolError)) {
    message = `capped: could not reach the upstream API at ${origin} (${code}). The request was not sent and nothing was charged.`;
  } else {
    // An answer that was not HTTP: say what was wrong with it (capped's own parser's words).
    const what =
      err instanceof UpstreamProtocolError
        ? `answered with something that is not valid HTTP/1.1 (${err.message}). Nothing of it was passed on`
        : `dropped the connection after the request was sent, before any answer (${code})`;
    message = `capped: the upstream API at ${origin} ${what}; capped counted no cost for it, but the provider may still bill the request.`;
  }
  return { message, error: route.provider.error(502, message) };
}

/** Sees what a passed-through request sent and what came back (its answer uncompressed). */
export interface PassWatch {
  sent(chunk: Buffer): void;
  answered(status: number, body: Buffer): void;
}

/** Forwards a request capped does not meter (count_tokens, model listings) unchanged. */
export function passThrough(
  route: Route,
  req: AgentRequest,
  res: AgentResponse,
  pathAndQuery: string,
  body: Buffer | null,
  notify: (notice: ProxyNotice) => void,
  watch?: PassWatch,
): Promise<void> {
  return new Promise((resolve) => {
    const headers = forwardHeaders(req.headers, body ? body.length : null);
    if (!body && req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
    if (!body && req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
    if (watch) {
      headers['accept-encoding'] = 'identity';
      req.on('data', (chunk: Buffer) => watch.sent(chunk));
    }
    const up = sendUpstream(route.upstream, req.method ?? 'GET', pathAndQuery, headers);
    up.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, responseHeaders(upRes.headers));
      const answer: Buffer[] = [];
      if (watch) upRes.on('data', (chunk: Buffer) => answer.push(chunk));
      upRes.pipe(res);
      upRes.on('end', () => {
        watch?.answered(upRes.statusCode ?? 502, Buffer.concat(answer));
        resolve();
      });
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
