import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { createUpstream, lazyUpstream } from '../../../src/proxy/forward.js';

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
});
