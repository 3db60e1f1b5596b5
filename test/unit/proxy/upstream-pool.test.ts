import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { dialer } from '../../../src/proxy/forward.js';
import { buildMounts } from '../../../src/proxy/mounts.js';
import { createProxy, listenLoopback } from '../../../src/proxy/server.js';
import type { ProxyNotice } from '../../../src/model/notices.js';
import { track, type Listening } from '../../helpers/listening.js';
import { proxyDeps } from '../../helpers/proxy-deps.js';
import { requestHead, requestWasSent, UpstreamPool, type UpstreamCall, type UpstreamResponse } from '../../../src/proxy/upstream-pool.js';
import { createRunCa } from '../../../src/sealed/ca.js';
import { mulberry32, randInt } from '../helpers/prng.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server on loopback (torn down after the test) that counts its connections. */
async function serve(server: net.Server): Promise<Listening> {
  const listening = await track(server);
  closers.push(() => listening.close());
  return listening;
}

/** A raw TCP server: `answer` gets each connection's socket and the first request's bytes. */
function rawServer(answer: (socket: net.Socket, request: string) => void): Promise<Listening> {
  return serve(
    net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (d) => answer(socket, d.toString('latin1')));
    }),
  );
}

function poolTo(port: number): UpstreamPool {
  const pool = new UpstreamPool(dialer(new URL(`http://127.0.0.1:${port}`)), `127.0.0.1:${port}`);
  closers.push(() => pool.close());
  return pool;
}

/** Sends a request and reads its whole answer. */
async function exchange(pool: UpstreamPool, body = 'hi', path = '/v1/messages'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const call = pool.request('POST', path, { 'content-type': 'text/plain', 'content-length': String(body.length) }, Buffer.from(body));
  const [res] = (await once(call, 'response')) as [UpstreamResponse];
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  await once(res, 'end');
  return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() };
}

const failure = (call: UpstreamCall): Promise<NodeJS.ErrnoException> => once(call, 'error').then(([err]) => err as NodeJS.ErrnoException);

describe('UpstreamPool', () => {
  it('sends the request as node:http would and reuses one kept-alive connection', async () => {
    const seen: Array<{ method: string | undefined; url: string | undefined; headers: http.IncomingHttpHeaders; body: string }> = [];
    const server = await serve(
      http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen.push({ method: req.method, url: req.url, headers: req.headers, body });
          res.writeHead(201, { 'content-type': 'application/json', 'x-seen': String(seen.length) });
          res.end(`{"n":${seen.length}}`);
        });
      }),
    );
    const pool = poolTo(server.port);
    for (let i = 1; i <= 3; i++) {
      const answer = await exchange(pool, `hello ${i}`, `/v1/messages?beta=${i}`);
      expect(answer).toMatchObject({ status: 201, body: `{"n":${i}}` });
      expect(answer.headers['x-seen']).toBe(String(i));
    }
    expect(seen.map((s) => [s.method, s.url, s.body, s.headers['content-type']])).toEqual([
      ['POST', '/v1/messages?beta=1', 'hello 1', 'text/plain'],
      ['POST', '/v1/messages?beta=2', 'hello 2', 'text/plain'],
      ['POST', '/v1/messages?beta=3', 'hello 3', 'text/plain'],
    ]);
    expect(server.connections()).toBe(1);
    expect(pool.counts).toEqual({ open: 1, idle: 1, waiting: 0 });
  });

  it('reads a streamed (chunked) answer piece by piece as the server writes it', async () => {
    let release: () => void = () => {};
    const server = await serve(
      http.createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        release = () => res.end('data: two\n\n');
      }),
    );
    const pool = poolTo(server.port);
    const call = pool.request('POST', '/', { 'content-length': '2' }, Buffer.from('{}'));
    const [res] = (await once(call, 'response')) as [UpstreamResponse];
    const got: string[] = [];
    res.on('data', (c: Buffer) => got.push(c.toString()));
    res.on('end', () => got.push('end'));
    while (got.length === 0) await new Promise((r) => setTimeout(r, 2));
    expect(got).toEqual(['data: one\n\n']);
    expect(res.complete).toBe(false);
    release();
    await new Promise((resolve) => res.on('close', resolve));
    expect(got).toEqual(['data: one\n\n', 'data: two\n\n', 'end']);
    expect(res.complete).toBe(true);
  });

  it('opens a connection per concurrent request, at most 64, and the rest wait their turn', async () => {
    const held: http.ServerResponse[] = [];
    const server = await serve(
      http.createServer((req, res) => {
        req.resume();
        held.push(res);
      }),
    );
    const pool = poolTo(server.port);
    const calls = Array.from({ length: 66 }, () => pool.request('GET', '/', {}, null));
    const answered: number[] = [];
    calls.forEach((call, i) => call.on('response', (res) => (res.on('data', () => {}), res.on('end', () => answered.push(i)))));
    while (held.length < 64) await new Promise((r) => setTimeout(r, 5));
    expect(pool.counts).toMatchObject({ open: 64, waiting: 2 });
    // One given up while waiting never goes out.
    calls[65]!.destroy();
    held.shift()!.end('done');
    while (held.length < 64) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(64);
    expect(server.connections()).toBe(64);
    expect(answered).toEqual([0]);
    for (const res of held.splice(0)) res.end('done');
    while (answered.length < 65) await new Promise((r) => setTimeout(r, 5));
    expect(answered).not.toContain(65);
  });

  it("does not reuse a connection past the server's keep-alive timeout, nor one the server closed", async () => {
    let n = 0;
    const server = await rawServer((socket) => {
      n++;
      // The first answer says the server drops idle connections after 1 s (the pool gives up at 0).
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\n${n === 1 ? 'keep-alive: timeout=1\r\n' : ''}\r\nok`);
      if (n === 2) setTimeout(() => socket.end(), 5);
    });
    const pool = poolTo(server.port);
    await exchange(pool);
    await new Promise((r) => setTimeout(r, 5));
    await exchange(pool);
    expect(server.connections()).toBe(2);
    // The server ends the second connection while it is idle: the pool drops it and dials anew.
    await new Promise((r) => setTimeout(r, 40));
    expect(pool.counts).toEqual({ open: 0, idle: 0, waiting: 0 });
    expect((await exchange(pool)).body).toBe('ok');
    expect(server.connections()).toBe(3);
  });

  it('does not reuse a connection the answer closes, or that sent more than its answer', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\na',
      'HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nbHTTP/1.1 200 OK\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nc',
    ];
    const server = await rawServer((socket) => socket.write(answers.shift()!));
    const pool = poolTo(server.port);
    expect((await exchange(pool)).body).toBe('a');
    expect((await exchange(pool)).body).toBe('b');
    expect((await exchange(pool)).body).toBe('c');
    expect(server.connections()).toBe(3);
  });

  it('reads a body that runs to the close as whole', async () => {
    const server = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it'));
    const pool = poolTo(server.port);
    expect((await exchange(pool)).body).toBe('all of it');
    expect(pool.counts.open).toBe(0);
  });

  it('fails the request with the connection error when nothing answers (not sent), and with ECONNRESET when the server hangs up first (sent)', async () => {
    const closed = await serve(net.createServer());
    const port = closed.port;
    closers.pop()!();
    await new Promise((r) => setTimeout(r, 10));
    const refused = await failure(poolTo(port).request('POST', '/', {}, Buffer.from('x')));
    expect(refused.code).toBe('ECONNREFUSED');
    expect(requestWasSent(refused)).toBe(false);

    // The server read the request before it hung up: the upstream may have acted on it.
    const rude = await rawServer((socket) => socket.destroy());
    const hungUp = await failure(poolTo(rude.port).request('POST', '/', {}, Buffer.from('x')));
    expect(hungUp.code).toBe('ECONNRESET');
    expect(hungUp.message).toBe('socket hang up');
    expect(requestWasSent(hungUp)).toBe(true);

    const garbled = await rawServer((socket) => socket.write('SMTP ready\r\n\r\n'));
    expect((await failure(poolTo(garbled.port).request('POST', '/', {}, Buffer.from('x')))).message).toMatch(/not HTTP\/1\.x/);
  });

  it('tells a response cut off mid-body: not complete, an error when listened for, then close', async () => {
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
      setTimeout(() => socket.destroy(), 10);
    });
    const pool = poolTo(server.port);
    const [res] = (await once(pool.request('POST', '/', {}, Buffer.from('x')), 'response')) as [UpstreamResponse];
    const events: string[] = [];
    res.on('data', (c: Buffer) => events.push(`data ${c.toString()}`));
    res.on('end', () => events.push('end'));
    res.on('error', (err: NodeJS.ErrnoException) => events.push(`error ${err.code}`));
    await new Promise((resolve) => res.on('close', resolve));
    expect(events).toEqual(['data partial', 'error ECONNRESET']);
    expect(res.complete).toBe(false);
    // Without an error listener, a cut-off response only closes (as node:http's does).
    const quiet = (await once(pool.request('POST', '/', {}, Buffer.from('x')), 'response')) as [UpstreamResponse];
    quiet[0].on('data', () => {});
    await new Promise((resolve) => quiet[0].on('close', resolve));
    expect(quiet[0].complete).toBe(false);
  });

  it('holds pieces back while paused and before anything reads them, in order, and ends after them', async () => {
    let socketOf: net.Socket | null = null;
    const server = await rawServer((socket) => {
      socketOf = socket;
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n');
    });
    const pool = poolTo(server.port);
    const [res] = (await once(pool.request('POST', '/', {}, Buffer.from('x')), 'response')) as [UpstreamResponse];
    await new Promise((r) => setTimeout(r, 10)); // 'a' arrives with nobody reading
    const got: string[] = [];
    res.on('data', (c: Buffer) => {
      got.push(c.toString());
      if (got.length === 1) res.pause();
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['a']);
    socketOf!.write('1\r\nb\r\n1\r\nc\r\n0\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['a']);
    let ended = false;
    res.on('end', () => (ended = true));
    expect(ended).toBe(false);
    res.resume();
    await once(res, 'end');
    expect(got.join('')).toBe('abc');
    // The connection went back to the pool reading again: it carries the next request.
    socketOf = null;
    const next = pool.request('POST', '/', {}, Buffer.from('y'));
    const [nextRes] = (await once(next, 'response')) as [UpstreamResponse];
    nextRes.on('data', () => {});
    socketOf!.write('1\r\nz\r\n0\r\n\r\n');
    await once(nextRes, 'end');
    expect(server.connections()).toBe(1);
  });

  it('closes the connection of a request given up, and emits nothing more for it', async () => {
    const server = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'));
    const pool = poolTo(server.port);
    const call = pool.request('POST', '/', {}, Buffer.from('x'));
    const [res] = (await once(call, 'response')) as [UpstreamResponse];
    const events: string[] = [];
    for (const e of ['end', 'error']) res.on(e, () => events.push(e));
    res.on('close', () => events.push('close'));
    res.destroy();
    call.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['close']);
    expect(pool.counts).toEqual({ open: 0, idle: 0, waiting: 0 });
  });

  it('closes every connection, cutting off a response still streaming, and fails requests after', async () => {
    const server = await rawServer((socket, request) => {
      if (request.startsWith('GET /stream')) socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n');
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    const pool = poolTo(server.port);
    const [streaming] = (await once(pool.request('GET', '/stream', {}, null), 'response')) as [UpstreamResponse];
    streaming.on('data', () => {});
    await exchange(pool); // a second connection, idle after it
    const closed = new Promise((resolve) => streaming.on('close', resolve));
    expect(pool.counts).toEqual({ open: 2, idle: 1, waiting: 0 });
    pool.close();
    await closed;
    expect(streaming.complete).toBe(false);
    expect(pool.counts).toEqual({ open: 0, idle: 0, waiting: 0 });
    expect((await failure(pool.request('GET', '/', {}, null))).code).toBe('ECONNRESET');
  });

  it('speaks TLS with the host as server name and verifies its certificate', async () => {
    const ca = await createRunCa('pool test CA');
    const leaf = await ca.leafFor('api.example.test');
    const names: Array<string | undefined> = [];
    const server = await serve(
      tls.createServer(
        {
          cert: leaf.certPem,
          key: leaf.keyPem,
          SNICallback: (name, cb) => (names.push(name), cb(null, tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem }))),
        },
        (socket) => {
          socket.on('error', () => {});
          socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
        },
      ),
    );
    // Dialled at loopback, named api.example.test: the CA is not one this process trusts.
    const pool = new UpstreamPool(dialer(new URL('https://api.example.test'), { host: '127.0.0.1', port: server.port }), 'api.example.test');
    closers.push(() => pool.close());
    const err = await failure(pool.request('GET', '/', {}, null));
    expect(err.code).toMatch(/CERT|SIGNATURE|ISSUER/);
    expect(names).toEqual(['api.example.test']);
    // Trusting the CA (what NODE_EXTRA_CA_CERTS does for capped), the exchange goes through.
    const trusting = new UpstreamPool(
      () => tls.connect({ host: '127.0.0.1', port: server.port, servername: 'api.example.test', ca: ca.certPem }),
      'api.example.test',
    );
    closers.push(() => trusting.close());
    expect((await exchange(trusting)).body).toBe('ok');
  });
});

describe('UpstreamPool against node:http', () => {
  it('reads what node:http reads of 150 random answers from a node:http server, over kept-alive connections (seeded)', async () => {
    const rand = mulberry32(28);
    /** One answer's shape, by the seed in its path, so the server and the test agree. */
    const shape = (seed: number) => {
      const r = mulberry32(seed);
      const status = [200, 200, 200, 201, 204, 304, 400, 429, 500][randInt(r, 0, 8)]!;
      const pieces = Array.from({ length: randInt(r, 0, 5) }, () => Buffer.from(Array.from({ length: randInt(r, 0, 3000) }, () => randInt(r, 0, 255))));
      return { status, pieces, framing: (['chunked', 'length', 'trailers'] as const)[randInt(r, 0, 2)], close: randInt(r, 0, 9) === 0 };
    };
    const server = await serve(
      http.createServer((req, res) => {
        req.resume();
        const { status, pieces, framing, close } = shape(Number(req.url!.slice(1)));
        res.statusCode = status;
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('x-list', ['x', 'y']);
        if (close) res.setHeader('connection', 'close');
        if (framing === 'length')
          res.setHeader(
            'content-length',
            pieces.reduce((n, p) => n + p.length, 0),
          );
        // Trailers need a chunked body, which HEAD, 204 and 304 answers do not have.
        const trailers = framing === 'trailers' && req.method !== 'HEAD' && status !== 204 && status !== 304;
        if (trailers) res.setHeader('trailer', 'x-done');
        for (const piece of pieces) res.write(piece);
        if (trailers) res.addTrailers({ 'x-done': '1' });
        res.end();
      }),
    );
    const pool = poolTo(server.port);
    const agent = new http.Agent({ keepAlive: true });
    closers.push(() => agent.destroy());
    const viaNode = (method: string, path: string) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: server.port, method, path, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
    const viaPool = async (method: string, path: string) => {
      const [res] = (await once(pool.request(method, path, {}, null), 'response')) as [UpstreamResponse];
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => res.on('end', resolve));
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
    };
    const kept = (h: http.IncomingHttpHeaders) => ({ ...h, date: undefined, 'keep-alive': undefined });
    for (let i = 0; i < 150; i++) {
      const seed = randInt(rand, 1, 1e9);
      const method = randInt(rand, 0, 5) === 0 ? 'HEAD' : 'GET';
      const [node, own] = [await viaNode(method, `/${seed}`), await viaPool(method, `/${seed}`)];
      expect({ ...own, headers: kept(own.headers) }, `seed ${seed} ${method}`).toEqual({ ...node, headers: kept(node.headers) });
    }
    // Kept alive but for the answers that close: far fewer connections than requests.
    expect(server.connections()).toBeLessThan(100);
  });
});

describe('a metered request that gets no answer', () => {
  /** The proxy in front of `upstreamPort`; sends one Messages request and reads the 502. */
  async function meteredRequestTo(upstreamPort: number) {
    const notices: ProxyNotice[] = [];
    const deps = proxyDeps({ mounts: buildMounts({ ANTHROPIC_BASE_URL: `http://127.0.0.1:${upstreamPort}` }), notify: (n) => notices.push(n) });
    const proxy = createProxy(deps);
    closers.push(() => proxy.close());
    const port = await listenLoopback(proxy.server);
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/s/anthropic/v1/messages', headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    const message = (JSON.parse(answer.body) as { type: string; error: { message: string } }).error.message;
    return { deps, notices, status: answer.status, message };
  }

  it('from an upstream that does not speak HTTP: a 502 in the provider shape that says what was wrong, and the reservation is released', async () => {
    const garbled = await rawServer((socket) => socket.end('SMTP ready\r\n\r\n'));
    const { deps, notices, status, message } = await meteredRequestTo(garbled.port);
    expect(status).toBe(502);
    expect(message).toMatch(
      /^capped: the upstream API at http:\/\/127\.0\.0\.1:\d+ answered with something that is not valid HTTP\/1\.1 \(the upstream's status line is not HTTP\/1\.x: "SMTP ready"\)/,
    );
    expect(notices.filter((n) => n.type === 'upstream-error').map((n) => (n as { message: string }).message)).toEqual([message]);
    expect(deps.keeper.state.reserved).toEqual({});
    expect(deps.keeper.state.spentNano).toBe(0);
  });

  it('from an upstream whose header holds a bare LF or another control character: a 502, as Node refuses it, never passed on', async () => {
    for (const value of ['a\nb', 'a\u0001b']) {
      const odd = await rawServer((socket) =>
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-odd: ${value}\r\ncontent-length: 2\r\n\r\n{}`),
      );
      const { deps, status, message } = await meteredRequestTo(odd.port);
      expect(status).toBe(502);
      expect(message).toMatch(/answered with something that is not valid HTTP\/1\.1 \(the upstream sent a header value with a control character: x-odd\)/);
      expect(deps.keeper.state.reserved).toEqual({});
    }
  });

  it('from an upstream that read it and dropped the connection: the 502 says it was sent and may be billed', async () => {
    const dropping = await rawServer((socket) => socket.destroy());
    const { status, message } = await meteredRequestTo(dropping.port);
    expect(status).toBe(502);
    expect(message).toMatch(
      /^capped: the upstream API at http:\/\/127\.0\.0\.1:\d+ dropped the connection after the request was sent, before any answer \(ECONNRESET\); capped counted no cost for it, but the provider may still bill the request\.$/,
    );
    expect(message).not.toContain('was not sent');
  });
});

describe('requestHead', () => {
  it('writes the request line, Host first, every value of each header and the length of the body', () => {
    expect(
      requestHead('POST', '/v1/messages', 'api.anthropic.com', { 'content-length': 99, Host: 'ignored', 'x-list': ['a', 'b'], skipped: undefined }, 2),
    ).toBe('POST /v1/messages HTTP/1.1\r\nhost: api.anthropic.com\r\nx-list: a\r\nx-list: b\r\ncontent-length: 2\r\n\r\n');
    // No body: no length (a GET), and a stale one is not passed on.
    expect(requestHead('GET', '/v1/models', 'h', { 'content-length': '5', 'transfer-encoding': 'chunked' })).toBe('GET /v1/models HTTP/1.1\r\nhost: h\r\n\r\n');
  });

  it.each([
    ['a value with CR LF', { 'x-a': 'ok\r\nx-injected: 1' }],
    ['a value with NUL', { 'x-a': 'a\0b' }],
    ['a name with a space', { 'x a': '1' }],
  ])('refuses %s', (_name, headers) => {
    expect(() => requestHead('POST', '/', 'h', headers)).toThrow(/cannot be sent/);
  });

  it('refuses a method or path that would break the request line', () => {
    expect(() => requestHead('GET /x HTTP/1.1\r\n', '/', 'h', {})).toThrow(TypeError);
    expect(() => requestHead('GET', '/a b', 'h', {})).toThrow(TypeError);
    expect(() => requestHead('GET', '/', 'h\r\nx: 1', {})).toThrow(TypeError);
  });
});
