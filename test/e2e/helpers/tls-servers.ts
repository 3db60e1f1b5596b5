import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { createRunCa, type RunCa } from '../../../src/sealed/ca.js';
import { track, type Listening } from '../../helpers/listening.js';

export type { Listening };

/**
 * Stand-ins for public HTTPS hosts on loopback: a "public" CA of their own (written to a file that
 * capped is told to trust, as it would trust a real provider's), and servers presenting leaves
 * from it for real host names. The sealed tests map those names to these servers with
 * CAPPED_SEALED_HOST_MAP.
 */
export interface PublicCa {
  ca: RunCa;
  /** The CA certificate file (NODE_EXTRA_CA_CERTS for capped, --cacert for curl). */
  file: string;
}

export async function startPublicCa(): Promise<PublicCa> {
  const ca = await createRunCa('fake public CA');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-fake-ca-')), 'ca.pem');
  fs.writeFileSync(file, ca.certPem);
  return { ca, file };
}

/** Ends TLS for `host` with a leaf from the public CA and relays plaintext to 127.0.0.1:`port`. */
export async function startTlsFront(pub: PublicCa, host: string, port: number): Promise<Listening> {
  const leaf = await pub.ca.leafFor(host);
  const server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (secure) => {
    const plain = net.connect(port, '127.0.0.1');
    secure.pipe(plain).pipe(secure);
    secure.on('error', () => plain.destroy());
    plain.on('error', () => secure.destroy());
  });
  return track(server);
}

/** An HTTPS server for `host` answering every request with `text`. */
export async function startHttpsText(pub: PublicCa, host: string, text: string): Promise<Listening> {
  const leaf = await pub.ca.leafFor(host);
  const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(text);
  });
  return track(server);
}

/** A plain HTTP server answering every request with `text`. */
export function startHttpText(text: string): Promise<Listening> {
  return track(
    http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(text);
    }),
  );
}

/** A plain TCP server that accepts and says hello: a way out that must stay closed. */
export function startRawTcp(): Promise<Listening> {
  return track(net.createServer((socket) => socket.end('hello from outside\n')));
}
