import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { buildMounts } from '../../../src/proxy/mounts.js';
import { listenLoopback } from '../../../src/proxy/server.js';
import { fakeOpenAIProxies } from '../../helpers/fake-openai-proxy.js';
import { proxyDeps } from '../../helpers/proxy-deps.js';

const ends = fakeOpenAIProxies();

function post(port: number, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('a request capped edits', () => {
  it('reaches the upstream with the bytes the agent sent but for the member added (Chat stream_options)', async () => {
    const upstream = await ends.upstream({ outputTokens: 5 });
    const proxy = ends.proxy(proxyDeps({ mounts: buildMounts({ OPENAI_BASE_URL: upstream.baseUrl }) }));
    const port = await listenLoopback(proxy.server);
    // Pretty-printed, escapes as the agent wrote them: a re-serialized body would differ in both.
    const messages = '[\n    { "role": "user", "content": "caf\\u00e9 \\/ \\"quoted\\"" }\n  ]';
    const sent = Buffer.from(`{\n  "model": "gpt-4.1",\n  "stream": true,\n  "messages": ${messages}\n}`);
    const answer = await post(port, '/s/openai/chat/completions', sent);
    expect(answer).toContain('data: [DONE]');
    const received = upstream.bill.received.at(-1)!.body;
    const text = sent.toString();
    expect(received).toBe(`${text.slice(0, text.lastIndexOf('}'))},"stream_options":{"include_usage":true}}`);
  });
});
