import http from 'node:http';
import type { GatewayContext } from './gateway-context.js';
import { decideHost } from './hosts.js';
import { sealedMountName } from './mounts.js';

/**
 * A plain-HTTP proxy request (`GET http://host/path`): metered for a provider host, else
 * forwarded when the rules allow the host.
 */
export function forwardPlain(ctx: GatewayContext, req: http.IncomingMessage, res: http.ServerResponse): void {
  const target = plainTarget(req.url);
  if (!target) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('capped: sealed run: expected a request for /path or http://host/path.\n');
    return;
  }
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const verdict = decideHost(host, ctx.deps.rules);
  if (verdict.kind === 'intercept') {
    ctx.countIntercepted(host);
    req.url = ctx.toProxy(`/${sealedMountName(host)}${target.pathname}${target.search}`);
    ctx.deps.proxyServer.emit('request', req, res);
  } else if (verdict.kind === 'deny') {
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end(ctx.denied(host, verdict.reason));
  } else {
    forwardAllowed(ctx, host, target, req, res);
  }
}

function plainTarget(url: string | undefined): URL | null {
  try {
    const target = new URL(url ?? '');
    return target.protocol === 'http:' ? target : null;
  } catch {
    return null;
  }
}

function forwardAllowed(ctx: GatewayContext, host: string, target: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  const dial = ctx.dialTarget({ host, port: Number(target.port || 80) });
  const t = ctx.traffic(host);
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
