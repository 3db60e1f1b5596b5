import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { AgentConnection, ownConnections } from '../../../src/proxy/agent-connection.js';
import { buildMounts } from '../../../src/proxy/mounts.js';
import { createProxy, listenLoopback } from '../../../src/proxy/server.js';
import { proxyDeps } from '../../helpers/proxy-deps.js';
import { BufferedRequest, MAX_OWN_BODY_BYTES, type AgentRequest } from '../../../src/proxy/agent-request.js';
import type { AgentResponse } from '../../../src/proxy/agent-response.js';
import { readBody, sendError } from '../../../src/proxy/exchange.js';
import { track, type Listening } from '../../helpers/listening.js';

/** One request as the handler saw it: who read it (capped or node:http) and what it was. */
interface Seen {
  own: boolean;
  method: string;
  url: string;
  body: string;
}

/** Answers by path, the way the proxy's handlers write answers. */
function answer(req: AgentRequest, res: AgentResponse, body: Buffer): void {
  const url = req.url ?? '/';
  if (url.startsWith('/json')) {
    const text = JSON.stringify({ got: body.toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } else if (url.startsWith('/stream')) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-trace': ['a', 'b'] });
    res.write('event: one\ndata: {}\n\n');
    res.write(Buffer.alloc(0));
    res.write(Buffer.from('event: two\ndata: {"ü":1}\n\n'));
    res.end('event: end\ndata: {}\n\n');
  } else if (url.startsWith('/empty')) {
    res.writeHead(204, { 'x-empty': '1' });
    res.end();
  } else if (url.startsWith('/error')) {
    sendError(res, { status: 429, body: '{"error":"slow down"}' });
  } else if (url.startsWith('/implicit')) {
    res.end('no head given');
  } else if (url.startsWith('/parts')) {
    // Its end writes nothing: the answer must still finish, and the next request be read.
    res.writeHead(200, { 'content-length': 6 });
    res.write('par');
    res.write(Buffer.from('ts!'));
    res.end();
  } else if (url.startsWith('/hold')) {
    // The test writes this answer itself.
  } else if (url.startsWith('/slow')) {
    setTimeout(() => answer({ ...req, url: '/json' } as AgentRequest, res, body), 600);
  } else if (url.startsWith('/close')) {
    res.writeHead(200, { 'content-length': 2, connection: 'close' });
    res.end('ok');
  } else {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length + 5 });
    res.write('echo:');
    res.end(body);
  }
}

let servers: Listening[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A server as the proxy makes it: node:http's, its connections taken by capped (unless `nodeOnly`). */
async function serve(o: { nodeOnly?: boolean; keepAliveMs?: number } = {}) {
  const seen: Seen[] = [];
  const responses: AgentResponse[] = [];
  /** Each answer's events, in order, with what the answer said of itself then. */
  const events: string[] = [];
  const handler = (req: AgentRequest, res: AgentResponse): void => {
    responses.push(res);
    for (const event of ['finish', 'close'] as const)
      res.on(event, () => events.push(`${req.url} ${event} finished=${res.writableFinished} ended=${res.writableEnded}`));
    void (async () => {
      const body = req instanceof BufferedRequest ? req.body : await readBody(req);
      seen.push({ own: req instanceof BufferedRequest, method: req.method ?? '', url: req.url ?? '', body: body?.toString('utf8') ?? '' });
      answer(req, res, body ?? Buffer.alloc(0));
    })();
  };
  const server = http.createServer(handler);
  server.keepAliveTimeout = o.keepAliveMs ?? 65_000;
  const upgrades: string[] = [];
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    upgrades.push(req.url ?? '');
    socket.end('HTTP/1.1 101 Switching Protocols\r\nupgrade: test\r\nconnection: upgrade\r\n\r\nswitched');
  });
  const own = o.nodeOnly ? null : ownConnections(server, handler);
  const listening = await track(server);
  servers.push(listening);
  return { port: listening.port, seen, responses, events, upgrades, own, listening };
}

/** Writes `wire` (pieces written apart, a turn between them) and reads until the server closes or `until` holds. */
function exchange(port: number, wire: (string | Buffer)[], until?: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const done = (): void => {
      socket.destroy();
      resolve(text);
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (until?.(text)) done();
    });
    socket.on('close', done);
    socket.on('error', reject);
    void (async () => {
      for (const piece of wire) {
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
  });
}

/** The answers in `text`, without their Date (which differs from second to second). */
const withoutDates = (text: string): string => text.replace(/\r\nDate: [^\r]*/g, '');

/**
 * The answers in `text` (latin1), each head as sent and its body decoded: how a body's writes
 * are cut into chunks is Node's choice (Node 24 joins the writes of one turn into one chunk).
 */
function answers(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    const head = text.slice(at, end);
    at = end + 4;
    let body = '';
    if (/\r\nTransfer-Encoding: chunked/i.test(head)) {
      for (;;) {
        const line = text.indexOf('\r\n', at);
        const size = parseInt(text.slice(at, line), 16);
        at = line + 2;
        if (size === 0) break;
        body += text.slice(at, at + size);
        at += size + 2;
      }
      at += 2;
    } else {
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
      body = text.slice(at, at + length);
      at += length;
    }
    out.push(`${withoutDates(head)}\n\n${body}`);
  }
  return out;
}
const count = (text: string, what: string): number => text.split(what).length - 1;

async function until<T>(get: () => T | undefined): Promise<T> {
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 2));
  }
}

const post = (path: string, body: string, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: proxy\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: proxy\r\n${extra}\r\n`;

describe('the agent connections capped reads itself', () => {
  it('answers byte for byte as node:http answers, on one kept-alive connection', async () => {
    const wire = [
      post('/json', '{"model":"m"}'),
      post('/parts', ''),
      post('/stream', '{}'),
      get('/empty'),
      post('/error', ''),
      post('/implicit', 'x'),
      post('/echo', 'héllo'),
      `DELETE /echo HTTP/1.1\r\nHost: proxy\r\nX-Many: 1\r\nx-many: 2\r\n\r\n`,
      post('/close', ''),
    ];
    const own = await serve();
    const node = await serve({ nodeOnly: true });
    const ours = await exchange(own.port, wire);
    const theirs = await exchange(node.port, wire);
    expect(own.seen.every((s) => s.own)).toBe(true);
    expect(node.seen.some((s) => s.own)).toBe(false);
    expect(own.seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(node.seen.map((s) => `${s.method} ${s.url} ${s.body}`));
    expect(answers(ours)).toEqual(answers(theirs));
    expect(answers(ours)).toHaveLength(wire.length);
    expect(own.events).toEqual(node.events);
    expect(own.events).toContain('/json finish finished=true ended=true');
    // Every answer but the one that asked to close keeps the connection, as node:http's do.
    expect(count(ours, 'Keep-Alive: timeout=65')).toBe(wire.length - 1);
    expect(count(ours, '\r\nDate: ')).toBe(wire.length);
    expect(ours.endsWith('ok')).toBe(true);
  });

  it("keeps Node's client on one connection for many requests, in order, bodies whole", async () => {
    const s = await serve();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ask = (path: string, body: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = http.request({ port: s.port, host: '127.0.0.1', method: 'POST', path, agent, headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString('utf8')));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        });
        req.on('error', reject);
        req.end(body);
      });
    const big = 'x'.repeat(300_000);
    const answers = [await ask('/json', big), await ask('/stream', '{}'), await ask('/echo', 'ü')];
    agent.destroy();
    expect(answers[0]).toBe(`200 ${JSON.stringify({ got: big })}`);
    expect(answers[1]).toContain('event: two\ndata: {"ü":1}');
    expect(answers[2]).toBe('200 echo:ü');
    expect(s.listening.connections()).toBe(1);
    expect(s.seen.every((x) => x.own)).toBe(true);
  });

  it('reads heads and bodies that come a few bytes at a time, and requests sent back to back', async () => {
    const s = await serve();
    const one = post('/echo', '{"a":"split"}');
    const pieces = one.match(/[\s\S]{1,3}/g)!;
    const text = await exchange(s.port, [...pieces, post('/echo', 'second') + post('/close', '')]);
    expect(s.seen.map((x) => `${x.own} ${x.url} ${x.body}`)).toEqual(['true /echo {"a":"split"}', 'true /echo second', 'true /close ']);
    expect(count(text, 'HTTP/1.1 200 OK')).toBe(3);
    expect(text.indexOf('echo:{"a":"split"}')).toBeLessThan(text.indexOf('echo:second'));
  });

  it('hands node:http every request it does not read itself, with the connection, answered as before', async () => {
    // Each: the request, what its answer must show, and whether the connection carries one more.
    const cases: [string, (text: string) => void, boolean][] = [
      [`POST /chunked HTTP/1.1\r\nHost: proxy\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`, (t) => expect(t).toContain('echo:hello'), true],
      [
        `POST /expect HTTP/1.1\r\nHost: proxy\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\nhi`,
        (t) => expect(t).toContain('HTTP/1.1 100 Continue'),
        true,
      ],
      [`POST /old HTTP/1.0\r\nHost: proxy\r\ncontent-length: 2\r\n\r\nhi`, (t) => expect(t).toContain('echo:hi'), false],
      [`HEAD /head HTTP/1.1\r\nHost: proxy\r\n\r\n`, (t) => expect(count(t, 'echo:')).toBe(2), true],
      [`OPTIONS /options HTTP/1.1\r\nHost: proxy\r\n\r\n`, (t) => expect(t).toContain('echo:'), true],
      [`GET /nohost HTTP/1.1\r\n\r\n`, (t) => expect(t).toContain('HTTP/1.1 400 Bad Request'), false],
      [`GET /bad HTTP/1.1\r\nHost: proxy\r\nbad header: x\r\n\r\n`, (t) => expect(t).toContain('HTTP/1.1 400 Bad Request'), false],
      [`GET /odd HTTP/1.1\r\nHost: proxy\r\nx-odd: a\x01b\r\n\r\n`, (t) => expect(t).toContain('HTTP/1.1 400 Bad Request'), false],
      [`GET /lf HTTP/1.1\r\nHost: proxy\r\nx-odd: a\nb\r\n\r\n`, (t) => expect(t).toContain('HTTP/1.1 400 Bad Request'), false],
      [`GET /twice HTTP/1.1\r\nHost: proxy\r\ncontent-length: 1\r\ncontent-length: 1\r\n\r\nx`, (t) => expect(t).toContain('HTTP/1.1 400 Bad Request'), false],
      [
        `GET /huge HTTP/1.1\r\nHost: proxy\r\nx-big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
        (t) => expect(t).toContain('HTTP/1.1 431 Request Header Fields Too Large'),
        false,
      ],
      [`GET /up HTTP/1.1\r\nHost: proxy\r\nconnection: upgrade\r\nupgrade: test\r\n\r\n`, (t) => expect(t).toContain('switched'), false],
    ];
    for (const [wire, check, after] of cases) {
      const s = await serve();
      // A plain request first (capped's), then the one node:http must take, then one more (node:http's now).
      const text = await exchange(s.port, [post('/first', 'a'), wire, get('/after', 'connection: close\r\n')], (t) => t.includes('switched'));
      check(text);
      expect(s.seen[0]).toMatchObject({ own: true, url: '/first' });
      expect(
        s.seen.slice(1).every((x) => !x.own),
        wire.slice(0, 30),
      ).toBe(true);
      if (wire.includes('upgrade: test')) expect(s.upgrades).toEqual(['/up']);
      if (after) expect(s.seen.at(-1)).toMatchObject({ own: false, url: '/after' });
    }
  });

  it('hands node:http a body over the size it reads whole, which then streams it', async () => {
    const s = await serve();
    const size = MAX_OWN_BODY_BYTES + 1;
    const text = await exchange(
      s.port,
      [`POST /big HTTP/1.1\r\nHost: proxy\r\ncontent-length: ${size}\r\nconnection: close\r\n\r\n`, Buffer.alloc(size, 0x61)],
      (t) => t.includes('0\r\n\r\n') || t.length > size,
    );
    expect(text).toContain(`content-length: ${size + 5}`);
    expect(s.seen).toEqual([{ own: false, method: 'POST', url: '/big', body: 'a'.repeat(size) }]);
  });

  it('closes after an answer when the agent asked to, or closed its side', async () => {
    const s = await serve();
    const asked = await exchange(s.port, [post('/json', '1', 'connection: close\r\n')]);
    expect(asked).toContain('Connection: close');
    expect(asked).not.toContain('Keep-Alive');
    const halfClosed = await new Promise<string>((resolve) => {
      const socket = net.connect(s.port, '127.0.0.1');
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.end(post('/json', '2'));
    });
    expect(halfClosed).toContain('{"got":"2"}');
  });

  it('closes a connection idle past the keep-alive timeout, never one whose answer is being made', async () => {
    const s = await serve({ keepAliveMs: 300 });
    const socket = net.connect(s.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // Answered after 600 ms, twice the idle timeout: the connection must still be there.
    socket.write(post('/slow', 'late'));
    await closed;
    expect(text).toContain('{"got":"late"}');
  });

  it("passes the agent's backpressure on, and tells the answer when the agent goes away before it is whole", async () => {
    const s = await serve();
    const socket = net.connect(s.port, '127.0.0.1');
    socket.pause(); // the agent reads nothing for now
    socket.write(post('/hold', ''));
    const res = await until(() => s.responses[0]);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const piece = Buffer.alloc(256 * 1024, 0x62);
    let writes = 0;
    while (res.write(piece)) if (++writes > 400) throw new Error('write() never asked to wait');
    const drained = new Promise((resolve) => res.once('drain', resolve));
    socket.resume();
    await drained;
    const closed = new Promise((resolve) => res.once('close', resolve));
    socket.destroy();
    await closed;
    expect(res.writableFinished).toBe(false);
    expect(res.destroyed).toBe(true);
    // Writes after the agent left are dropped, and never ask the relay to wait.
    expect(res.write('late')).toBe(true);
  });

  it('takes the connections of a node:http server of this Node version (else node:http keeps them all)', async () => {
    const s = await serve();
    expect(s.own!.owned).toBe(true);
    const taken = http.createServer();
    taken.on('connection', () => undefined);
    expect(ownConnections(taken, () => undefined).owned).toBe(false);
  });

  it('closes the connections it holds with closeAll', async () => {
    const s = await serve();
    const socket = net.connect(s.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    await new Promise((r) => setTimeout(r, 20));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    s.own!.closeAll();
    await closed;
    expect(socket.destroyed).toBe(true);
  });

  it("the proxy reads the agent's requests itself, and its close() ends the connections it holds", async () => {
    const upstream = await serve({ nodeOnly: true });
    const proxy = createProxy(proxyDeps({ mounts: buildMounts({ ANTHROPIC_BASE_URL: `http://127.0.0.1:${upstream.port}` }) }));
    const port = await listenLoopback(proxy.server);
    // node:http emits 'request' for each request it reads; capped reads its own without it.
    let nodeRequests = 0;
    proxy.server.prependListener('request', () => nodeRequests++);
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // A route the proxy passes through unmetered: the upstream echoes it.
    socket.write(get('/s/anthropic/v1/models'));
    await until(() => (text.includes('echo:') ? true : undefined));
    expect(text).toContain('Keep-Alive: timeout=65');
    expect(nodeRequests).toBe(0);
    proxy.close();
    await closed;
    expect(upstream.seen).toMatchObject([{ own: false, method: 'GET', url: '/v1/models' }]);
  });

  it('stops reading an agent that sends more than 1 MB ahead of the answer in hand, and reads on after it', () => {
    // A socket in memory: what the connection reads is fed by hand, what it writes is kept.
    class MemorySocket extends EventEmitter {
      paused = false;
      written = '';
      setTimeout(): void {}
      pause(): void {
        this.paused = true;
      }
      resume(): void {
        this.paused = false;
      }
      isPaused(): boolean {
        return this.paused;
      }
      cork(): void {}
      uncork(): void {}
      end(): void {}
      destroy(): void {}
      write(data: string | Buffer, ...rest: unknown[]): boolean {
        this.written += data.toString();
        const cb = rest.find((r): r is () => void => typeof r === 'function');
        if (cb) process.nextTick(cb);
        return true;
      }
    }
    const socket = new MemorySocket();
    const answers: AgentResponse[] = [];
    new AgentConnection(socket as unknown as net.Socket, { serve: (_req, res) => answers.push(res), handOff: () => undefined, keepAliveMs: 1000 });
    socket.emit('data', Buffer.from(post('/first', 'a')));
    expect(answers).toHaveLength(1);
    // The next request comes while the first is unanswered: held, and past 1 MB, no more read.
    const next = Buffer.from(post('/second', 'b'.repeat(1024 * 1024)));
    socket.emit('data', next.subarray(0, 512 * 1024));
    expect(socket.paused).toBe(false);
    socket.emit('data', next.subarray(512 * 1024));
    expect(socket.paused).toBe(true);
    expect(answers).toHaveLength(1);
    answers[0]!.end('done');
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(socket.written).toContain('done');
        expect(socket.paused).toBe(false);
        expect(answers).toHaveLength(2);
        resolve();
      }),
    );
  });
});
