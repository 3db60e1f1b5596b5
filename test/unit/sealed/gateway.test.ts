import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunCa } from '../../../src/sealed/ca.js';
import { createGateway } from '../../../src/sealed/gateway.js';

/** The gateway on loopback TCP (a Unix socket in real runs), a stand-in metering proxy, and a real target. */
async function setup(allow: string[], deny: string[] = []) {
  const proxied: string[] = [];
  const proxyServer = http.createServer((req, res) => {
    proxied.push(req.url ?? '');
    res.end('metered');
  });
  const target = http.createServer((req, res) => res.end(`target saw ${req.url}`));
  const echo = net.createServer((socket) => socket.pipe(socket));
  await Promise.all([target, echo].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const said: string[] = [];
  const gateway = createGateway({
    proxyServer,
    secret: 's3cret',
    rules: { allow, deny },
    ca: await createRunCa('capped test'),
    hostMap: new Map([
      ['web.example', { host: '127.0.0.1', port: (target.address() as net.AddressInfo).port }],
      ['echo.example', { host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port }],
    ]),
    say: (text) => said.push(text),
  });
  await new Promise<void>((r) => gateway.server.listen(0, '127.0.0.1', r));
  const port = (gateway.server.address() as net.AddressInfo).port;
  const close = (): void => {
    gateway.close();
    target.close();
    echo.close();
  };
  return { gateway, port, proxied, said, close };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Sends CONNECT and returns the raw socket once the gateway answered. */
function connect(port: number, authority: string): Promise<{ socket: net.Socket; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`));
    socket.once('data', (chunk: Buffer) => resolve({ socket, answer: chunk.toString() }));
    socket.once('error', reject);
  });
}

let closeAll: (() => void) | undefined;
afterEach(() => closeAll?.());

describe('sealed gateway', () => {
  it('forwards plain HTTP to an allowed host and counts its traffic', async () => {
    const s = await setup(['web.example']);
    closeAll = s.close;
    const res = await get(s.port, 'http://web.example/page?x=1');
    expect(res).toEqual({ status: 200, body: 'target saw /page?x=1' });
    expect(s.gateway.summary().hosts['web.example']).toMatchObject({ connections: 1, failed: 0 });
    expect(s.gateway.summary().hosts['web.example']!.bytesDown).toBeGreaterThan(0);
  });

  it('refuses a denied host with 403 and says so once for repeated attempts', async () => {
    const s = await setup(['*'], ['web.example']);
    closeAll = s.close;
    const first = await get(s.port, 'http://web.example/');
    await get(s.port, 'http://web.example/again');
    expect(first.status).toBe(403);
    expect(first.body).toContain('sealedDeny entry "web.example"');
    expect(s.gateway.summary().denied).toEqual({ 'web.example': 2 });
    expect(s.said).toHaveLength(1);
  });

  it('sends requests for its own paths and for plain-HTTP provider hosts to the metering proxy', async () => {
    const s = await setup([]);
    closeAll = s.close;
    expect((await get(s.port, '/s3cret/anthropic/v1/messages')).body).toBe('metered');
    expect((await get(s.port, 'http://api.anthropic.com/v1/messages')).body).toBe('metered');
    expect(s.proxied).toEqual(['/s3cret/anthropic/v1/messages', '/s3cret/sealed-api.anthropic.com/v1/messages']);
    expect(s.gateway.summary().intercepted).toEqual({ 'api.anthropic.com': 1 });
  });

  it('tunnels CONNECT to an allowed host byte for byte, counting both directions', async () => {
    const s = await setup(['echo.example']);
    closeAll = s.close;
    const { socket, answer } = await connect(s.port, 'echo.example:443');
    expect(answer).toContain('200 Connection Established');
    const echoed = await new Promise<string>((resolve) => {
      socket.once('data', (c: Buffer) => resolve(c.toString()));
      socket.write('ping');
    });
    socket.destroy();
    expect(echoed).toBe('ping');
    expect(s.gateway.summary().hosts['echo.example']).toMatchObject({ connections: 1, bytesUp: 4, bytesDown: 4 });
  });

  it('answers CONNECT to a host outside sealedAllow with 403, and a malformed one with 400', async () => {
    const s = await setup([]);
    closeAll = s.close;
    expect((await connect(s.port, 'other.example:443')).answer).toMatch(/^HTTP\/1.1 403[^]*other.example is not in sealedAllow/);
    expect((await connect(s.port, 'no-port')).answer).toMatch(/^HTTP\/1.1 400/);
  });
});

describe('sealed gateway TLS', () => {
  it('serves a leaf for the provider host that a client trusting the run CA accepts', async () => {
    const ca = await createRunCa('capped test');
    const proxied: string[] = [];
    const proxyServer = http.createServer((req, res) => {
      proxied.push(req.url ?? '');
      res.end('metered');
    });
    const gateway = createGateway({ proxyServer, secret: 's3cret', rules: { allow: [], deny: [] }, ca, hostMap: new Map(), say: () => {} });
    await new Promise<void>((r) => gateway.server.listen(0, '127.0.0.1', r));
    closeAll = () => gateway.close();
    const { socket, answer } = await connect((gateway.server.address() as net.AddressInfo).port, 'api.anthropic.com:443');
    expect(answer).toContain('200 Connection Established');
    const body = await new Promise<string>((resolve, reject) => {
      const secure = tls.connect({ socket, servername: 'api.anthropic.com', ca: ca.certPem }, () => {
        secure.write('POST /v1/messages HTTP/1.1\r\nhost: api.anthropic.com\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      });
      let text = '';
      secure.on('data', (c: Buffer) => (text += c.toString()));
      secure.on('end', () => resolve(text));
      secure.on('error', reject);
    });
    expect(body).toMatch(/^HTTP\/1.1 200[^]*metered$/);
    expect(proxied).toEqual(['/s3cret/sealed-api.anthropic.com/v1/messages']);
  });
});
