import http from 'node:http';
import type { Duplex } from 'node:stream';
import { parseAuthority } from './authority.js';
import { GatewayContext, statusLine, type GatewayDeps, type SealedSummary } from './gateway-context.js';
import { decideHost } from './hosts.js';
import { createInterceptor } from './intercept.js';
import { forwardPlain } from './plain-forward.js';
import { tunnel } from './tunnel.js';

export type { GatewayDeps, HostTraffic, SealedSummary } from './gateway-context.js';

export interface Gateway {
  /** Serves the in-namespace bridge: listen on a Unix socket. */
  server: http.Server;
  summary(): SealedSummary;
  close(): void;
}

/**
 * The only way out of a sealed run's network namespace: an HTTP proxy (CONNECT and absolute
 * URLs) plus the metering proxy's own base URLs. Provider hosts are intercepted and metered, other
 * hosts are tunnelled (and counted) or refused by `sealedAllow` / `sealedDeny`.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const ctx = new GatewayContext(deps);
  const intercept = createInterceptor(ctx);

  const server = http.createServer((req, res) => {
    if ((req.url ?? '/').startsWith('/')) deps.proxyServer.emit('request', req, res);
    else forwardPlain(ctx, req, res);
  });
  server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    ctx.keep(socket);
    socket.on('error', () => socket.destroy());
    const target = parseAuthority(req.url ?? '');
    if (!target) {
      socket.end(statusLine(400, `capped: sealed run: expected CONNECT host:port, got \`${req.url ?? ''}\`.\n`));
      return;
    }
    const verdict = decideHost(target.host, deps.rules);
    if (verdict.kind === 'deny') socket.end(statusLine(403, ctx.denied(target.host, verdict.reason)));
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
  server.on('connection', (socket: Duplex) => ctx.keep(socket));

  return {
    server,
    summary: () => structuredClone(ctx.stats),
    close: () => {
      server.close();
      ctx.destroyAll();
    },
  };
}
