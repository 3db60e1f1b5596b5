import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { GatewayContext } from './gateway-context.js';
import { sealedMountName } from './mounts.js';

const REJECTED_CA = /UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/;

/**
 * Ends the agent's TLS to a provider host with a leaf from the run CA and hands the decrypted
 * requests to the metering proxy under that host's mount. Returns the function a CONNECT calls.
 */
export function createInterceptor(ctx: GatewayContext): (host: string, socket: Duplex, head: Buffer) => Promise<void> {
  const hostOf = new WeakMap<net.Socket, string>();
  const mounted = (req: http.IncomingMessage): string => ctx.toProxy(`/${sealedMountName(hostOf.get(req.socket)!)}${req.url ?? '/'}`);
  const decrypted = http.createServer((req, res) => {
    req.url = mounted(req);
    ctx.deps.proxyServer.emit('request', req, res);
  });
  decrypted.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    req.url = mounted(req);
    ctx.deps.proxyServer.emit('upgrade', req, socket, head);
  });

  const contexts = new Map<string, Promise<tls.SecureContext>>();
  const contextFor = (host: string): Promise<tls.SecureContext> => {
    let secure = contexts.get(host);
    if (!secure) {
      secure = ctx.deps.ca.leafFor(host).then((leaf) => tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem }));
      contexts.set(host, secure);
    }
    return secure;
  };

  return async (host, socket, head) => {
    const secureContext = await contextFor(host);
    ctx.countIntercepted(host);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    // HTTP/1.1 only: the metering proxy speaks HTTP/1.1, and every client falls back to it.
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
    ctx.keep(secure);
    hostOf.set(secure, host);
    secure.on('error', (err: NodeJS.ErrnoException) => {
      if (REJECTED_CA.test(err.code ?? err.message)) {
        ctx.sayOnce(
          `ca ${host}`,
          `capped: sealed: a client rejected capped's certificate for ${host}: it does not trust the run CA ` +
            `(it reads none of NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, ` +
            `GIT_SSL_CAINFO, or pins certificates).\n`,
        );
      }
      socket.destroy();
    });
    decrypted.emit('connection', secure);
  };
}
