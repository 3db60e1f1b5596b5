import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { HostPort } from './authority.js';
import { parseAuthority } from './authority.js';
import type { RunCa } from './ca.js';
import { decideHost, type HostRules } from './hosts.js';
import { sealedMountName } from './mounts.js';
import type { HostTraffic, SealedSummary } from '../model/run-record.js';

export type { HostTraffic, SealedSummary };

export interface GatewayDeps {
  /** The metering proxy's server: requests for its secret paths and intercepted ones go to it. */
  proxyServer: http.Server;
  secret: string;
  rules: HostRules;
  ca: RunCa;
  /** Test hook: where to really connect for a host (see authority.ts). */
  hostMap: ReadonlyMap<string, HostPort>;
  /** One line for people (a host refused, a client that rejected the run CA). */
  say: (text: string) => void;
}

export interface Gateway {
  /** Serves the in-namespace bridge: listen on a Unix socket. */
  server: http.Server;
  summary(): SealedSummary;
  close(): void;
}

const statusLine = (status: number, text: string): string =>
  `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`;

/** What the gateway's paths share: the run's deps, its counts, and the sockets to close. */
interface GatewayContext {
  deps: GatewayDeps;
  stats: SealedSummary;
  /** Tracks a socket until it closes, so close() can end it. */
  keep: (socket: Duplex) => void;
  /** Says a line once per key (a host refused, a client that rejected the run CA). */
  sayOnce: (key: string, text: string) => void;
}

const traffic = (ctx: GatewayContext, host: string): HostTraffic => (ctx.stats.hosts[host] ??= { connections: 0, failed: 0, bytesUp: 0, bytesDown: 0 });
const dialTarget = (ctx: GatewayContext, target: HostPort): HostPort => ctx.deps.hostMap.get(target.host) ?? target;
const toProxy = (ctx: GatewayContext, url: string): string => `/${ctx.deps.secret}${url}`;

/** Counts and reports a refused host; returns the text the client gets. */
function denied(ctx: GatewayContext, host: string, reason: string): string {
  ctx.stats.denied[host] = (ctx.stats.denied[host] ?? 0) + 1;
  ctx.sayOnce(`deny ${host}`, `capped: sealed: refused a connection to ${host}: ${reason}.\n`);
  return `capped: sealed run: the connection to ${host} was refused (${reason}).\n`;
}

/**
 * Ends TLS for provider hosts with a leaf of the run CA and hands the decrypted requests to the
 * metering proxy under the host's mount. Returns what intercepts one CONNECT.
 */
function createInterceptor(ctx: GatewayContext): (host: string, socket: Duplex, head: Buffer) => Promise<void> {
  const { deps, stats } = ctx;
  const hostOf = new WeakMap<net.Socket, string>();
  const intercepted = http.createServer((req, res) => {
    req.url = toProxy(ctx, `/${sealedMountName(hostOf.get(req.socket)!)}${req.url ?? '/'}`);
    deps.proxyServer.emit('request', req, res);
  });
  intercepted.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    req.url = toProxy(ctx, `/${sealedMountName(hostOf.get(req.socket)!)}${req.url ?? '/'}`);
    deps.proxyServer.emit('upgrade', req, socket, head);
  });
  const contexts = new Map<string, Promise<tls.SecureContext>>();
  const contextFor = (host: string): Promise<tls.SecureContext> => {
    let secureContext = contexts.get(host);
    if (!secureContext) {
      secureContext = deps.ca.leafFor(host).then((leaf) => tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem }));
      contexts.set(host, secureContext);
    }
    return secureContext;
  };
  return async (host, socket, head) => {
    const secureContext = await contextFor(host);
    stats.intercepted[host] = (stats.intercepted[host] ?? 0) + 1;
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    // HTTP/1.1 only: the metering proxy speaks HTTP/1.1, and every client falls back to it.
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
    ctx.keep(secure);
    hostOf.set(secure, host);
    secure.on('error', (err: NodeJS.ErrnoException) => {
      if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/.test(err.code ?? err.message)) {
        const readers = 'NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO';
        const why = `it does not trust the run CA (it reads none of ${readers}, or pins certificates)`;
        ctx.sayOnce(`ca ${host}`, `capped: sealed: a client rejected capped's certificate for ${host}: ${why}.\n`);
      }
      socket.destroy();
    });
    intercepted.emit('connection', secure);
  };
}

/** A CONNECT to an allowed host: piped through untouched, its bytes counted. */
function tunnel(ctx: GatewayContext, target: HostPort, socket: Duplex, head: Buffer): void {
  const dial = dialTarget(ctx, target);
  const upstream = net.connect(dial.port, dial.host);
  ctx.keep(upstream);
  const t = traffic(ctx, target.host);
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    t.connections++;
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) {
      t.bytesUp += head.length;
      upstream.write(head);
    }
    socket.on('data', (chunk: Buffer) => (t.bytesUp += chunk.length));
    upstream.on('data', (chunk: Buffer) => (t.bytesDown += chunk.length));
    socket.pipe(upstream).pipe(socket);
  });
  upstream.on('error', (err) => {
    if (!connected) t.failed++;
    if (!connected && socket.writable) socket.end(statusLine(502, `capped: sealed run: could not reach ${target.host}:${target.port}: ${err.message}\n`));
    else socket.destroy();
  });
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}

/**
 * A plain-HTTP proxy request (`GET http://host/path`): metered for a provider host, else
 * forwarded when the rules allow the host.
 */
function forwardPlain(ctx: GatewayContext, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { deps, stats } = ctx;
  let target: URL;
  try {
    target = new URL(req.url ?? '');
    if (target.protocol !== 'http:') throw new Error('not http');
  } catch {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('capped: sealed run: expected a request for /path or http://host/path.\n');
    return;
  }
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const verdict = decideHost(host, deps.rules);
  if (verdict.kind === 'intercept') {
    stats.intercepted[host] = (stats.intercepted[host] ?? 0) + 1;
    req.url = toProxy(ctx, `/${sealedMountName(host)}${target.pathname}${target.search}`);
    deps.proxyServer.emit('request', req, res);
    return;
  }
  if (verdict.kind === 'deny') {
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end(denied(ctx, host, verdict.reason));
    return;
  }
  const dial = dialTarget(ctx, { host, port: Number(target.port || 80) });
  const t = traffic(ctx, host);
  const headers = { ...req.headers };
  delete headers['proxy-connection'];
  delete headers['proxy-authorization'];
  const up = http.request({ host: dial.host, port: dial.port, method: req.method, path: `${target.pathname}${target.search}`, headers, setHost: false });
  req.on('data', (chunk: Buffer) => (t.bytesUp += chunk.length));
  // Each plain-HTTP request counts as one connection (the agent's requests share capped's sockets).
  up.on('response', (response) => {
    t.connections++;
    response.on('data', (chunk: Buffer) => (t.bytesDown += chunk.length));
    res.writeHead(response.statusCode ?? 502, response.headers);
    response.pipe(res);
  });
  up.on('error', (err) => {
    if (!res.headersSent) {
      t.failed++;
      res.writeHead(502, { 'content-type': 'text/plain' });
    }
    res.end(`capped: sealed run: could not reach ${host}: ${err.message}\n`);
  });
  req.pipe(up);
}

/**
 * The only way out of a sealed run's network namespace: an HTTP proxy (CONNECT and absolute
 * URLs) plus the metering proxy's own base URLs. Provider hosts are intercepted and metered, other
 * hosts are tunnelled (and counted) or refused by `sealedAllow` / `sealedDeny`.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const stats: SealedSummary = { hosts: {}, intercepted: {}, denied: {} };
  const sockets = new Set<Duplex>();
  const told = new Set<string>();
  const ctx: GatewayContext = {
    deps,
    stats,
    keep: (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    },
    sayOnce: (key, text) => {
      if (told.has(key)) return;
      told.add(key);
      deps.say(text);
    },
  };
  const keep = ctx.keep;
  const intercept = createInterceptor(ctx);
  const server = http.createServer((req, res) => {
    if ((req.url ?? '/').startsWith('/')) deps.proxyServer.emit('request', req, res);
    else forwardPlain(ctx, req, res);
  });

  server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    keep(socket);
    socket.on('error', () => socket.destroy());
    const target = parseAuthority(req.url ?? '');
    if (!target) {
      socket.end(statusLine(400, `capped: sealed run: expected CONNECT host:port, got \`${req.url ?? ''}\`.\n`));
      return;
    }
    const verdict = decideHost(target.host, deps.rules);
    if (verdict.kind === 'deny') socket.end(statusLine(403, denied(ctx, target.host, verdict.reason)));
    else if (verdict.kind === 'tunnel') tunnel(ctx, target, socket, head);
    else
      void intercept(target.host, socket, head).catch((err: unknown) => {
        socket.end(statusLine(502, `capped: sealed run: could not intercept ${target.host}: ${String(err)}\n`));
      });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').startsWith('/')) deps.proxyServer.emit('upgrade', req, socket, head);
    else socket.end(statusLine(400, 'capped: sealed run: WebSocket upgrades go to the proxy base URLs.\n'));
  });
  server.on('connection', keep);

  return {
    server,
    summary: () => structuredClone(stats),
    close: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
