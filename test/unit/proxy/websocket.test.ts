import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectWebSocket } from '../../../bench/ws-client.js';
import { buildMounts } from '../../../src/proxy/mounts.js';
import { listenLoopback } from '../../../src/proxy/server.js';
import { fakeOpenAIProxies } from '../../helpers/fake-openai-proxy.js';
import { proxyDeps } from '../../helpers/proxy-deps.js';

const ends = fakeOpenAIProxies();

const terminal = (m: Buffer): boolean => m.toString('utf8').startsWith('{"type":"response.completed"');

describe('the Responses WebSocket through the proxy', () => {
  it('passes a response’s last event to the agent before it settles the response', async () => {
    const upstream = await ends.upstream({ outputTokens: 20 });
    // The agent's socket on the proxy's side, and what had been written to it when the response settled.
    let agentSide: net.Socket | null = null;
    const writtenAtSettle: number[] = [];
    const deps = proxyDeps({
      mounts: buildMounts({ OPENAI_BASE_URL: upstream.baseUrl }),
      notify: (n) => {
        if (n.type === 'settled') writtenAtSettle.push(agentSide!.bytesWritten);
      },
    });
    const proxy = ends.proxy(deps);
    proxy.server.on('upgrade', (_req, socket: net.Socket) => (agentSide = socket));
    const port = await listenLoopback(proxy.server);
    const ws = await connectWebSocket(`http://127.0.0.1:${port}/s/openai/responses`, { authorization: 'Bearer sk-test' });
    const body = { type: 'response.create', model: 'gpt-4.1', input: 'hello', max_output_tokens: 100 };
    const reply = await ws.request(JSON.stringify(body), terminal);
    ws.close();
    expect(terminal(reply.last)).toBe(true);
    expect(deps.keeper.state.spentNano).toBeGreaterThan(0n);
    // Everything the agent got, the terminal event included, was written before the settle.
    expect(writtenAtSettle).toEqual([agentSide!.bytesWritten]);
  });
});
