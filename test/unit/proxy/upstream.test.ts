import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createUpstream, lazyUpstream, requestUpstream, sendUpstream } from '../../../src/proxy/forward.js';

describe('an upstream', () => {
  it('makes its connection pool on first use, once, and closing an unused one makes none', () => {
    let made = 0;
    const destroyed: http.Agent[] = [];
    const make = (): http.Agent => {
      made++;
      const agent = new http.Agent();
      const destroy = agent.destroy.bind(agent);
      agent.destroy = () => {
        destroyed.push(agent);
        destroy();
      };
      return agent;
    };
    const unused = lazyUpstream(new URL('http://127.0.0.1:1'), make);
    unused.close();
    expect(made).toBe(0);

    const used = lazyUpstream(new URL('http://127.0.0.1:1'), make);
    const first = used.agent;
    expect(used.agent).toBe(first);
    expect(made).toBe(1);
    used.close();
    expect(destroyed).toEqual([first]);
  });

  it("makes capped's own pool once, and closing the upstream closes it", () => {
    const used = lazyUpstream(new URL('http://127.0.0.1:1'), () => new http.Agent());
    const pool = used.pool;
    expect(used.pool).toBe(pool);
    used.close();
    // Closed: a request fails at once instead of dialling.
    return new Promise<void>((resolve) =>
      pool.request('GET', '/', {}, null).on('error', (err: NodeJS.ErrnoException) => (expect(err.code).toBe('ECONNRESET'), resolve())),
    );
  });

  it('pools https upstreams with an https agent and http ones with an http agent, keep-alive both', () => {
    const secure = createUpstream('https://api.anthropic.com');
    const plain = createUpstream('http://127.0.0.1:8080/v1');
    expect(secure.agent.constructor.name).toBe('Agent');
    expect((secure.agent as http.Agent & { defaultPort: number }).defaultPort).toBe(443);
    expect((plain.agent as http.Agent & { defaultPort: number }).defaultPort).toBe(80);
    for (const u of [secure, plain]) expect((u.agent as http.Agent & { keepAlive: boolean }).keepAlive).toBe(true);
    secure.close();
    plain.close();
  });

  it.each([
    ['http://127.0.0.1:PORT', '/v1/messages?beta=true', '/v1/messages?beta=true'],
    ['http://127.0.0.1:PORT/base/', '/v1/messages', '/base/v1/messages'],
    ['http://127.0.0.1:PORT/v1beta//', '/models/gemini:streamGenerateContent?alt=sse', '/v1beta/models/gemini:streamGenerateContent?alt=sse'],
  ])('sends to %s + %s as %s, with its host and without the URL credentials', async (base, pathAndQuery, expected) => {
    const seen: { url?: string; host?: string; auth?: string } = {};
    const server = http.createServer((req, res) => {
      Object.assign(seen, { url: req.url, host: req.headers.host, auth: req.headers.authorization });
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const url = new URL(base.replace('PORT', String(port)));
    url.username = 'user';
    url.password = 'secret';
    const upstream = createUpstream(url.toString());
    try {
      // Twice each way: the second request uses the options worked out for the first. node:http
      // (WebSocket upgrades, streamed bodies) and capped's own pool (everything metered) alike.
      for (let i = 0; i < 4; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          const answered = (res: { statusCode?: number | undefined; resume(): unknown }): void => {
            res.resume();
            resolve(res.statusCode ?? 0);
          };
          if (i < 2) {
            const req = sendUpstream(upstream, 'POST', pathAndQuery, { 'content-length': '0' });
            req.on('response', answered).on('error', reject);
            req.end();
          } else requestUpstream(upstream, 'POST', pathAndQuery, {}, Buffer.alloc(0)).on('response', answered).on('error', reject);
        });
        expect(status).toBe(200);
        expect(seen).toEqual({ url: expected, host: `127.0.0.1:${port}`, auth: undefined });
      }
    } finally {
      upstream.close();
      server.close();
    }
  });
});
