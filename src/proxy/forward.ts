import http from 'node:http';
import net from 'node:net';
import { urlToHttpOptions } from 'node:url';
import type Https from 'node:https';
import type Tls from 'node:tls';
import { lazyRequire } from '../lazy-require.js';
import { UpstreamPool, type Dial, type UpstreamCall } from './upstream-pool.js';

const https = lazyRequire<typeof Https>('node:https');
const tls = lazyRequire<typeof Tls>('node:tls');

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
  /** For WebSocket upgrades and bodies streamed through. */
  readonly agent: http.Agent;
  /** For requests whose body capped holds whole (everything metered): see upstream-pool.ts. */
  readonly pool: UpstreamPool;
  /** Ends the pools' sockets (none was made if no request went out). */
  close(): void;
}

/** Where the connections go: the URL's host, or (tests of intercepted hosts) a mapped address. */
export interface DialTo {
  host: string;
  port: number;
}

/**
 * An upstream whose connection pools are made on their first request. `to` dials another address
 * while TLS still names and verifies the URL's host.
 */
export function lazyUpstream(url: URL, makeAgent: () => http.Agent, to?: DialTo): Upstream {
  let agent: http.Agent | null = null;
  let pool: UpstreamPool | null = null;
  const { protocol, hostname, port } = urlToHttpOptions(url);
  return {
    url,
    target: { options: { protocol, hostname, port }, basePath: url.pathname.replace(/\/+$/, '') },
    get agent() {
      return (agent ??= makeAgent());
    },
    get pool() {
      return (pool ??= new UpstreamPool(dialer(url, to), url.host));
    },
    close: () => {
      agent?.destroy();
      pool?.close();
    },
  };
}

/** Opens connections as the agent would: TCP, or TLS with SNI, ALPN http/1.1 and resumed sessions. */
export function dialer(url: URL, to?: DialTo): Dial {
  const secure = url.protocol === 'https:';
  // urlToHttpOptions gives an IPv6 host without its brackets, and no port for the scheme's own.
  const options = urlToHttpOptions(url);
  const host = options.hostname ?? url.hostname;
  const address = to ?? { host, port: options.port ? Number(options.port) : secure ? 443 : 80 };
  if (!secure) return () => net.connect({ host: address.host, port: address.port });
  // SNI carries names only, never an IP address (RFC 6066 §3).
  const servername = net.isIP(host) === 0 ? host : undefined;
  let session: Buffer | undefined;
  const { connect } = tls(); // loaded with the pool (warm() makes it ahead of the first request)
  return () => {
    const socket = connect({ host: address.host, port: address.port, servername, ALPNProtocols: ['http/1.1'], session });
    socket.on('session', (s: Buffer) => (session = s));
    return socket;
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
 * Sends a request whose body capped holds whole through the upstream's own pool (upstream-pool.ts):
 * what every metered request takes.
 */
export function requestUpstream(
  upstream: Upstream,
  method: string,
  pathAndQuery: string,
  headers: http.OutgoingHttpHeaders,
  body: Buffer | null,
): UpstreamCall {
  return upstream.pool.request(method, upstream.target.basePath + pathAndQuery, headers, body);
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
