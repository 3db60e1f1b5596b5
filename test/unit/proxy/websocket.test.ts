import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWebSocket } from '../../../bench/ws-client.js';
import type { ToolStep } from '../../../src/budget/tool-steps.js';
import { DEFAULT_POLICY } from '../../../src/budget/engine.js';
import { BudgetKeeper } from '../../../src/budget/keeper.js';
import { buildMounts } from '../../../src/proxy/mounts.js';
import { openaiResponses } from '../../../src/proxy/providers/openai-responses.js';
import type { Meter, Provider } from '../../../src/proxy/providers/types.js';
import { listenLoopback } from '../../../src/proxy/server.js';
import { fakeOpenAIProxies } from '../../helpers/fake-openai-proxy.js';
import { proxyDeps } from '../../helpers/proxy-deps.js';
import { acceptWebSocket } from '../../fixtures/fake-ws.mjs';
import { listenTracked } from '../../fixtures/listen.mjs';

const ends = fakeOpenAIProxies();
const closeAfter: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of closeAfter.splice(0)) await server.close();
});

const terminal = (m: Buffer): boolean => m.toString('utf8').startsWith('{"type":"response.completed"');

describe('the Responses WebSocket through the proxy', () => {
  it('passes a response’s last event to the agent before it settles the response', async () => {
    const upstream = await ends.upstream({ outputTokens: 20 });
    // The agent's socket on the proxy's side, and what had been written to it when the response settled.
    let agentSide: net.Socket | null = null;
    const writtenAtSettle: Array<{ written: number; queued: number }> = [];
    const deps = proxyDeps({
      mounts: buildMounts({ OPENAI_BASE_URL: upstream.baseUrl }),
      notify: (n) => {
        // Handed to the kernel, not only to the socket: nothing corked or queued behind it.
        if (n.type === 'settled') writtenAtSettle.push({ written: agentSide!.bytesWritten, queued: agentSide!.writableLength });
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
    expect(writtenAtSettle).toEqual([{ written: agentSide!.bytesWritten, queued: 0 }]);
  });

  it('passes the frames of one upstream read to the agent in two writes, not a write a frame', async () => {
    // The fake writes a response's frames in one turn, so they reach the proxy in a read or two.
    const upstream = await ends.upstream({ outputTokens: 20 });
    const proxy = ends.proxy(proxyDeps({ mounts: buildMounts({ OPENAI_BASE_URL: upstream.baseUrl }) }));
    let writes = 0;
    proxy.server.on('upgrade', (_req, socket: net.Socket) => {
      // Each call is one write to the kernel (writev for several buffers).
      const count = <F extends (...args: never[]) => unknown>(f: F): F => ((...args: Parameters<F>) => (writes++, f.apply(socket, args))) as F;
      socket._write = count(socket._write.bind(socket));
      socket._writev = count(socket._writev!.bind(socket));
    });
    const port = await listenLoopback(proxy.server);
    const ws = await connectWebSocket(`http://127.0.0.1:${port}/s/openai/responses`, { authorization: 'Bearer sk-test' });
    const handshake = writes;
    const frames: Buffer[] = [];
    const body = { type: 'response.create', model: 'gpt-4.1', input: 'hello', max_output_tokens: 100 };
    await ws.request(JSON.stringify(body), (m: Buffer) => (frames.push(m), terminal(m)));
    ws.close();
    expect(frames.length).toBeGreaterThan(10);
    // Two writes a read at most (its first frame at once), over one or two reads; a write a frame
    // before: as many writes as frames.
    expect(writes - handshake).toBeLessThanOrEqual(4);
  });

  it('parses a resent input only where it changed: the earlier calls are the objects read before', async () => {
    const upstream = await ends.upstream({ outputTokens: 20 });
    const seen: (readonly ToolStep[])[] = [];
    const deps = proxyDeps({
      mounts: buildMounts({ OPENAI_BASE_URL: upstream.baseUrl }),
      guards: { facts: (steps) => (seen.push(steps), { loop: null, filesRead: 0 }) },
    });
    const proxy = ends.proxy(deps);
    const port = await listenLoopback(proxy.server);
    const ws = await connectWebSocket(`http://127.0.0.1:${port}/s/openai/responses`, { authorization: 'Bearer sk-test' });
    const call = (n: number): unknown[] => [
      { type: 'function_call', call_id: `call_${n}`, name: 'shell', arguments: `{"command":["ls","${n}"]}` },
      { type: 'function_call_output', call_id: `call_${n}`, output: `out ${n}` },
    ];
    const input: unknown[] = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'go' }] }, ...call(1)];
    await ws.request(JSON.stringify({ type: 'response.create', model: 'gpt-4.1', input, max_output_tokens: 100 }), terminal);
    input.push(...call(2));
    await ws.request(JSON.stringify({ type: 'response.create', model: 'gpt-4.1', input, max_output_tokens: 100 }), terminal);
    ws.close();
    expect(seen.map((steps) => steps.map((s) => s.id))).toEqual([['call_1'], ['call_1', 'call_2']]);
    // Read afresh, the second frame's first call would be a new object.
    expect(seen[1]![0]).toBe(seen[0]![0]);
  });

  /** Sends `frame` through a proxy whose $0.05 cap lets gpt-4.1 write ~6,000 tokens; what reached the upstream, and its max_output_tokens. */
  async function clampedFrame(frame: string): Promise<{ received: string; clamped: number }> {
    const upstream = await ends.upstream({ outputTokens: 20 });
    const deps = proxyDeps({
      mounts: buildMounts({ OPENAI_BASE_URL: upstream.baseUrl }),
      keeper: new BudgetKeeper({ usd: 50_000_000, tokens: null, actions: null }, DEFAULT_POLICY),
    });
    const port = await listenLoopback(ends.proxy(deps).server);
    const ws = await connectWebSocket(`http://127.0.0.1:${port}/s/openai/responses`, { authorization: 'Bearer sk-test' });
    await ws.request(frame, terminal);
    ws.close();
    const received = upstream.bill.wsMessages.at(-1)!;
    return { received, clamped: Number(/"max_output_tokens":\s*(\d+)/.exec(received)?.[1]) };
  }

  it('sends an edited response.create with the bytes the agent sent but for the member changed', async () => {
    // Escapes as the agent wrote them: a re-serialized frame would write them otherwise.
    const sent = '{"type":"response.create","model":"gpt-4.1","input":"caf\\u00e9 \\/ \\"quoted\\"","max_output_tokens": 100000}';
    const { received, clamped } = await clampedFrame(sent);
    expect(clamped).toBeGreaterThan(0);
    expect(clamped).toBeLessThan(100_000);
    expect(received).toBe(sent.replace('"max_output_tokens": 100000', `"max_output_tokens": ${clamped}`));
  });

  it('sends an edited response.create it cannot splice (a key spelled with an escape) as the whole frame, rewritten', async () => {
    // `inp\u0075t` is `input` to JSON.parse: the splice's scan does not read escaped keys.
    const { received, clamped } = await clampedFrame('{"type":"response.create","model":"gpt-4.1","inp\\u0075t":"hello","max_output_tokens":100000}');
    expect(JSON.parse(received)).toEqual({ type: 'response.create', model: 'gpt-4.1', input: 'hello', max_output_tokens: clamped });
    expect(clamped).toBeGreaterThan(0);
    expect(clamped).toBeLessThan(100_000);
  });

  /**
   * One response over the WebSocket with a meter that notes, for each message it read, its type,
   * how it was read, and what the agent had been sent of the response by then (bytes written to
   * its socket since the request). `adjust` changes the meter first.
   */
  async function readsOfOneResponse(adjust: (meter: Meter) => void = () => {}) {
    const upstream = await ends.upstream({ outputTokens: 20 });
    let agentSide: net.Socket | null = null;
    const reads: { type: string; how: 'bytes' | 'text'; sent: number }[] = [];
    let used: Meter | null = null;
    const spied: Provider = {
      ...openaiResponses,
      createMeter: (opts) => {
        const meter = openaiResponses.createMeter(opts);
        adjust(meter);
        used = meter;
        const base = agentSide!.bytesWritten;
        const message = meter.message!.bind(meter);
        const rawMessage = meter.rawMessage!.bind(meter);
        const sent = (): number => agentSide!.bytesWritten - base;
        meter.rawMessage = (payload) => {
          const done = rawMessage(payload);
          if (done) reads.push({ type: (JSON.parse(payload.toString('utf8')) as { type: string }).type, how: 'bytes', sent: sent() });
          return done;
        };
        meter.message = (text) => {
          reads.push({ type: (JSON.parse(text) as { type: string }).type, how: 'text', sent: sent() });
          return message(text);
        };
        return meter;
      },
    };
    const mounts = buildMounts({ OPENAI_BASE_URL: upstream.baseUrl });
    const openai = mounts.get('openai')!;
    mounts.set('openai', { ...openai, providers: openai.providers.map((p) => (p === openaiResponses ? spied : p)) });
    const deps = proxyDeps({ mounts });
    const proxy = ends.proxy(deps);
    proxy.server.on('upgrade', (_req, socket: net.Socket) => (agentSide = socket));
    const port = await listenLoopback(proxy.server);
    const ws = await connectWebSocket(`http://127.0.0.1:${port}/s/openai/responses`, { authorization: 'Bearer sk-test' });
    const got: Buffer[] = [];
    await ws.request(JSON.stringify({ type: 'response.create', model: 'gpt-4.1', input: 'hello', max_output_tokens: 100 }), (m) => (got.push(m), terminal(m)));
    ws.close();
    return { reads, got, used: used!, deps };
  }

  it('sends a response’s first message before reading it, reads every later one first, and meters plain deltas from their bytes', async () => {
    const { reads, got, used, deps } = await readsOfOneResponse();
    /** A server frame's bytes on the wire: a 2-byte head, 4 from 126 bytes of payload on. */
    const frameBytes = (m: Buffer): number => m.length + (m.length < 126 ? 2 : 4);
    const types = got.map((m) => (JSON.parse(m.toString('utf8')) as { type: string }).type);
    expect(reads.map((r) => r.type)).toEqual(types);
    expect(types[0]).toBe('response.created');
    // The first message had gone out when it was read; each later one had not.
    expect(reads[0]!.sent).toBe(frameBytes(got[0]!));
    for (let i = 1; i < reads.length; i++) expect(reads[i]!.sent, types[i]).toBe(got.slice(0, i).reduce((n, m) => n + frameBytes(m), 0));
    // The text deltas were read from their bytes, and counted as the ordinary reading counts them.
    const deltas = reads.filter((r) => r.type === 'response.output_text.delta');
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((r) => r.how === 'bytes')).toBe(true);
    const ordinary = openaiResponses.createMeter({ injectedUsage: false });
    for (const m of got) ordinary.message!(m.toString('utf8'));
    expect(ordinary.reading().outputChars).toBeGreaterThan(0);
    expect(used.reading()).toEqual(ordinary.reading());
    expect(deps.keeper.state.spentNano).toBeGreaterThan(0n);
  });

  it('sends a first message before reading it only unedited: the frame goes whole', async () => {
    // A meter that would let the first message lead edited (an equal copy stands for the edit).
    const { reads, got } = await readsOfOneResponse((meter) => {
      const lead = meter.lead!.bind(meter);
      meter.lead = (raw) => {
        const led = lead(raw);
        return led === null ? null : Buffer.from(led);
      };
    });
    expect((JSON.parse(got[0]!.toString('utf8')) as { type: string }).type).toBe('response.created');
    expect(reads[0]!.sent).toBe(0);
  });

  it('holds every fragment of a message until it is read whole: a refused tool call sent in pieces reaches the agent in none', async () => {
    // An upstream that sends its tool call as three fragments (a text frame and two continuations).
    const upstream = http.createServer((_req, res) => res.writeHead(404).end());
    const frame = (fin: boolean, opcode: number, text: string): Buffer => {
      const payload = Buffer.from(text);
      return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, payload.length]), payload]);
    };
    upstream.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const conn = acceptWebSocket(
        socket,
        String(req.headers['sec-websocket-key']),
        head,
        () => {
          const response = { id: 'resp_1', object: 'response', status: 'in_progress', model: 'gpt-4.1', output: [], usage: null };
          conn.sendText(JSON.stringify({ type: 'response.created', response }));
          const call = JSON.stringify({
            type: 'response.output_item.done',
            output_index: 0,
            item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'shell', arguments: '{"command":["ls"]}' },
          });
          socket.write(Buffer.concat([frame(false, 1, call.slice(0, 70)), frame(false, 0, call.slice(70, 100)), frame(true, 0, call.slice(100))]));
          const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, total_tokens: 17 };
          conn.sendText(JSON.stringify({ type: 'response.completed', response: { ...response, status: 'completed', usage } }));
        },
        () => undefined,
      );
    });
    const listening = await listenTracked(upstream);
    closeAfter.push(listening);
    // No tool action allowed: the call is refused.
    const deps = proxyDeps({
      mounts: buildMounts({ OPENAI_BASE_URL: `${listening.url}/v1` }),
      keeper: new BudgetKeeper({ usd: 1_000_000_000, tokens: null, actions: 0 }, DEFAULT_POLICY),
    });
    const proxy = ends.proxy(deps);
    const sent: Buffer[] = [];
    proxy.server.on('upgrade', (_req, socket: net.Socket) => {
      // Everything handed to the kernel for the agent, one write or several at once.
      const write = socket._write.bind(socket);
      const writev = socket._writev!.bind(socket);
      socket._write = (chunk: Buffer, encoding, done) => (sent.push(Buffer.from(chunk)), write(chunk, encoding, done));
      socket._writev = (chunks, done) => (sent.push(...chunks.map((c) => Buffer.from(c.chunk as Buffer))), writev(chunks, done));
    });
    const port = await listenLoopback(proxy.server);
    const ws = await connectWebSocket(`http://127.0.0.1:${port}/s/openai/responses`, { authorization: 'Bearer sk-test' });
    const reply = await ws.request(JSON.stringify({ type: 'response.create', model: 'gpt-4.1', input: 'hello', max_output_tokens: 100 }), (m) =>
      m.toString('utf8').startsWith('{"type":"error"'),
    );
    ws.close();
    const toAgent = Buffer.concat(sent).toString('latin1');
    expect(toAgent).toContain('response.created');
    expect(toAgent).not.toContain('function_call');
    expect(toAgent).not.toContain('response.output_item.done');
    expect(reply.last.toString('utf8')).toContain('capped:');
  });

  it('passes a frame that is not a response.create on byte for byte', async () => {
    const upstream = await ends.upstream({ outputTokens: 20 });
    const proxy = ends.proxy(proxyDeps({ mounts: buildMounts({ OPENAI_BASE_URL: upstream.baseUrl }) }));
    const port = await listenLoopback(proxy.server);
    const ws = await connectWebSocket(`http://127.0.0.1:${port}/s/openai/responses`, { authorization: 'Bearer sk-test' });
    // The fake answers text that is not JSON with an error frame.
    const reply = await ws.request('not json {', (m) => m.toString('utf8').startsWith('{"type":"error"'));
    await ws.request(JSON.stringify({ type: 'response.create', model: 'gpt-4.1', input: 'hello', max_output_tokens: 100 }), terminal);
    ws.close();
    expect(reply.last.toString('utf8')).toContain('bad json');
    expect(upstream.bill.wsMessages[0]).toBe('not json {');
  });
});
