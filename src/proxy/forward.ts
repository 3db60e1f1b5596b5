import http from 'node:http';
import { urlToHttpOptions } from 'node:url';
import type Https from 'node:https';
import { lazyRequire } from '../lazy-require.js';

const https = lazyRequire<typeof Https>('node:https');

/** Headers that describe one hop, not the message; never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Encodings the meter can decode; anything else is removed from what the client accepts. */
const DECODABLE = new Set(['gzip', 'deflate', 'br', 'identity']);

export interface Upstream {
  readonly url: URL;
  /**
   * Where its requests go, worked out from `url` once: protocol, host and port (never the URL's
   * user and password, which were never sent), and the base path they go below.
   */
  readonly target: { readonly options: http.RequestOptions; readonly basePath: string };
  readonly agent: http.Agent;
  /** Ends the pool's sockets (none was made if no request went out). */
  close(): void;
}

/** An upstream whose connection pool is made on its first request. */
export function lazyUpstream(url: URL, makeAgent: () => http.Agent): Upstream {
  let agent: http.Agent | null = null;
  const { protocol, hostname, port } = urlToHttpOptions(url);
  return {
    url,
    target: { options: { protocol, hostname, port }, basePath: url.pathname.replace(/\/+$/, '') },
    get agent() {
      return (agent ??= makeAgent());
    },
    close: () => agent?.destroy(),
  };
}

/** A run that sends no request loads no TLS: https is loaded with the first pool. */
export function createUpstream(base: string): Upstream {
  const url = new URL(base);
  const options = { keepAlive: true, maxSockets: 64 };
  return lazyUpstream(url, () => (url.protocol === 'https:' ? new (https().Agent)(options) : new http.Agent(options)));
}

export function forwardHeaders(incoming: http.IncomingHttpHeaders, bodyLength: number | null): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  const accept = incoming['accept-encoding'];
  if (typeof accept === 'string') {
    const kept = accept
      .split(',')
      .map((s) => s.trim())
      .filter((s) => DECODABLE.has(s.split(';')[0]!.trim().toLowerCase()));
    if (kept.length > 0) out['accept-encoding'] = kept.join(', ');
    else out['accept-encoding'] = 'identity';
  }
  if (bodyLength !== null) out['content-length'] = String(bodyLength);
  return out;
}

export function responseHeaders(incoming: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    if (name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
    out[name] = value;
  }
  return out;
}

/**
 * Sends `method` to `pathAndQuery` (already stripped of the proxy's own prefix) below the
 * upstream's base path. Options, not a URL: parsing a URL for every request cost about 5 µs.
 */
export function sendUpstream(upstream: Upstream, method: string, pathAndQuery: string, headers: http.OutgoingHttpHeaders): http.ClientRequest {
  const { url, target } = upstream;
  const lib = url.protocol === 'https:' ? https() : http;
  headers.host = url.host;
  return lib.request({ ...target.options, path: target.basePath + pathAndQuery, method, headers, agent: upstream.agent });
}
