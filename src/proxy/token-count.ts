import type http from 'node:http';
import { forwardHeaders, requestUpstream, type Upstream } from './forward.js';
import { tryParse } from './providers/json.js';
import type { Provider } from './providers/types.js';

/** How long an exact count may take before the decision is made without it. */
const COUNT_TIMEOUT_MS = 10_000;
/** Answers larger than this are not a count. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Asks the provider's free counting endpoint for a request's exact input tokens, with the agent's
 * own credentials (its headers pass through as for the request itself). Null when the provider
 * has no such endpoint, or it failed, timed out or answered something else.
 */
export function countInput(
  provider: Provider,
  upstream: Upstream,
  headers: http.IncomingHttpHeaders,
  body: Record<string, unknown>,
  path: string,
  query: string,
  model: string,
): Promise<number | null> {
  const request = provider.counting?.request(body, path, model);
  if (!request || !provider.counting) return Promise.resolve(null);
  const counting = provider.counting;
  const payload = Buffer.from(JSON.stringify(request.body));
  const out = forwardHeaders(headers, payload.length);
  out['content-type'] = 'application/json';
  out['accept-encoding'] = 'identity';
  // Retry markers and streaming preferences belong to the generation request, not to this one.
  delete out['x-stainless-retry-count'];
  delete out.accept;
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: number | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      up.destroy();
      resolve(value);
    };
    const up = requestUpstream(upstream, 'POST', request.path + query, out, payload);
    const timer = setTimeout(() => finish(null), COUNT_TIMEOUT_MS);
    up.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) finish(null);
        else chunks.push(c);
      });
      res.on('end', () => finish((res.statusCode ?? 500) < 300 ? counting.read(tryParse(Buffer.concat(chunks).toString('utf8'))) : null));
      res.on('error', () => finish(null));
    });
    up.on('error', () => finish(null));
  });
}
