import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostPort } from './authority.js';
import { statusLine, type GatewayContext } from './gateway-context.js';

/** A CONNECT to a host the rules let through: bytes copied both ways untouched, and counted. */
export function tunnel(ctx: GatewayContext, target: HostPort, socket: Duplex, head: Buffer): void {
  const dial = ctx.dialTarget(target);
  const upstream = net.connect(dial.port, dial.host);
  ctx.keep(upstream);
  const t = ctx.traffic(target.host);
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
