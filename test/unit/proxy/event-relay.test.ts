import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { EventRelay } from '../../../src/proxy/event-relay.js';
import { anthropic } from '../../../src/proxy/providers/anthropic.js';
import { gemini } from '../../../src/proxy/providers/gemini.js';
import { openaiChat } from '../../../src/proxy/providers/openai-chat.js';
import { openaiResponses } from '../../../src/proxy/providers/openai-responses.js';
import type { Provider } from '../../../src/proxy/providers/types.js';
import type { RelayHooks, RelayOutcome, ToolVerdict } from '../../../src/proxy/relay-shared.js';
import { FakeResponse, FakeUpstream, relayHooks } from '../../helpers/fake-relay-ends.js';

function relay(provider: Provider, allowToolCall?: RelayHooks['allowToolCall'], injectedUsage = false, overrides: Partial<RelayHooks> = {}) {
  const upstream = new FakeUpstream();
  const res = new FakeResponse();
  const done: Promise<RelayOutcome> = new EventRelay({
    provider,
    meter: provider.createMeter({ injectedUsage }),
    upstream,
    res: res as unknown as http.ServerResponse,
    hooks: { ...relayHooks(allowToolCall), ...overrides },
    allowedOut: 1_000_000,
    clientGone: () => false,
  }).run();
  return { upstream, res, done };
}

/** Writes to the client are made at the end of the turn (ClientWrites). */
const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const sse = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const START = sse('message_start', {
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 120, output_tokens: 1 } },
});
const TEXT =
  sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello there' } }) +
  sse('content_block_stop', { index: 0 });
const TOOL =
  sse('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} } }) +
  sse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"command":"ls"}' } }) +
  sse('content_block_stop', { index: 1 });
const END = sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } }) + sse('message_stop', {});
const CREATED = sse('response.created', { response: { id: 'resp_1', model: 'gpt-5', status: 'in_progress' } });

const REFUSAL = 'capped: no more actions';
/** A tool gate that refuses every call. */
const refuseAll = (): ToolVerdict => ({ allowed: false, message: REFUSAL });
/** The gate was asked about one call, and the agent got the refusal and no byte of the call (`marker`). */
function expectRefusedOnce(asked: readonly number[], body: string, marker: string): void {
  expect(asked).toEqual([1]);
  expect(body).not.toContain(marker);
  expect(body).toContain(REFUSAL);
}

describe('EventRelay (Anthropic SSE, in memory)', () => {
  it('forwards the exact bytes, however the chunks split the events, and reads usage split across events', async () => {
    const { upstream, res, done } = relay(anthropic);
    const stream = START + TEXT + END;
    upstream.send(stream, 13);
    upstream.finish();
    const outcome = await done;
    expect(res.status).toBe(200);
    expect(res.body).toBe(stream);
    expect(res.ended).toBe(true);
    expect(outcome.bytes).toBe(Buffer.byteLength(stream));
    expect(outcome.reading.usage.input).toBe(120);
    expect(outcome.reading.usage.output).toBe(42);
    expect(outcome.reading.complete).toBe(true);
    // The last events and the end went out as one write (corked), and nothing stays corked.
    expect(res.corked.slice(-2)).toEqual([true, true]);
    expect(res.corks).toBe(0);
  });

  it('a stream cut mid-way: what arrived is passed on as it came, then the client connection is destroyed; usage is not final', async () => {
    const { upstream, res, done } = relay(anthropic);
    const half = TEXT.slice(0, TEXT.length - 20);
    upstream.send(START + half);
    upstream.close();
    const outcome = await done;
    expect(res.destroyed).toBe(true);
    expect(res.ended).toBe(false);
    expect(res.body).toBe(START + half);
    expect(outcome.reading.complete).toBe(false);
    expect(outcome.reading.usage.input).toBe(120);
  });

  it('a tool call the budget allows is forwarded and counted', async () => {
    const asked: number[] = [];
    const { upstream, res, done } = relay(anthropic, (reading) => {
      asked.push(reading.toolCalls);
      return { allowed: true };
    });
    upstream.send(START + TOOL + END, 5);
    upstream.finish();
    const outcome = await done;
    expect(asked).toEqual([1]);
    expect(res.body).toBe(START + TOOL + END);
    expect(outcome.reading.toolCalls).toBe(1);
  });

  it('a refused tool call never reaches the client: the stream ends with the refusal, the rest is metered to its final usage', async () => {
    const { upstream, res, done } = relay(anthropic, refuseAll);
    upstream.send(START + TEXT + TOOL);
    expect(res.ended).toBe(true);
    expect(res.body).not.toContain('tool_use');
    expect(res.body.startsWith(START + TEXT)).toBe(true);
    expect(res.body).toContain(REFUSAL);
    upstream.send(END);
    expect(upstream.destroyed).toBe(true); // final usage read: nothing more to wait for
    const outcome = await done;
    expect(outcome.reading.usage.output).toBe(42);
    expect(outcome.reading.complete).toBe(true);
  });

  it('a held tool call keeps the rest of the stream back, unread, until the person answers', async () => {
    let answer!: (v: ToolVerdict) => void;
    const { upstream, res, done } = relay(anthropic, () => ({ hold: new Promise<ToolVerdict>((resolve) => (answer = resolve)) }));
    upstream.send(START + TEXT + TOOL + END);
    expect(upstream.paused).toBe(true);
    expect(res.body).toBe(START + TEXT);
    answer({ allowed: true });
    await turnEnd();
    expect(upstream.paused).toBe(false);
    expect(res.body).toBe(START + TEXT + TOOL + END);
    upstream.finish();
    expect((await done).reading.usage.output).toBe(42);
    expect(res.ended).toBe(true);
  });
});

describe('EventRelay: an opening event goes before it is metered (Meter.lead)', () => {
  /** `provider` with a meter that notes what the client had been sent when each event was read. */
  function watched(provider: Provider, res: () => FakeResponse) {
    const sentWhenRead: { name: string | null; sent: string }[] = [];
    const spied: Provider = {
      ...provider,
      createMeter: (opts) => {
        const meter = provider.createMeter(opts);
        const event = meter.event.bind(meter);
        meter.event = (e) => {
          sentWhenRead.push({ name: e.event, sent: res().body });
          return event(e);
        };
        return meter;
      },
    };
    return { spied, sentWhenRead };
  }

  it('sends message_start before reading it, and every later event after', async () => {
    const client: { res?: FakeResponse } = {};
    const { spied, sentWhenRead } = watched(anthropic, () => client.res!);
    const r = relay(spied);
    client.res = r.res;
    r.upstream.send(START + TOOL + END);
    r.upstream.finish();
    await r.done;
    expect(sentWhenRead[0]).toEqual({ name: 'message_start', sent: START });
    // The tool call is read, and allowed, before any of it goes out.
    const toolStart = sentWhenRead.find((e) => e.name === 'content_block_start')!;
    expect(toolStart.sent).toBe(START);
    expect(r.res.body).toBe(START + TOOL + END);
  });

  it('sends response.created (OpenAI Responses) before reading it', async () => {
    const client: { res?: FakeResponse } = {};
    const { spied, sentWhenRead } = watched(openaiResponses, () => client.res!);
    const r = relay(spied);
    client.res = r.res;
    const done = sse('response.completed', { response: { id: 'resp_1', model: 'gpt-5', status: 'completed', usage: { input_tokens: 10, output_tokens: 2 } } });
    r.upstream.send(CREATED + done);
    r.upstream.finish();
    expect((await r.done).reading.usage.input).toBe(10);
    expect(sentWhenRead[0]).toEqual({ name: 'response.created', sent: CREATED });
    expect(r.res.body).toBe(CREATED + done);
  });

  const chatEvent = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
  const geminiEvent = (parts: unknown[]): string =>
    `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts }, index: 0 }], usageMetadata: { promptTokenCount: 12 } })}\n\n`;
  const escapedCall = geminiEvent([{ functionCall: { name: 'run_shell_command', args: { command: 'ls' } } }]).replace('"functionCall"', '"function\\u0043all"');
  const CHAT_END = 'data: [DONE]\n\n';
  const GEMINI_END = `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: '.' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 3 } })}\n\n`;
  // The client asked for what capped reads: name, provider, first event, end, whether it leads.
  const unnamed: [string, Provider, string, string, boolean][] = [
    ['an OpenAI Chat text delta', openaiChat, chatEvent({ role: 'assistant', content: 'Hi' }), CHAT_END, true],
    ['an OpenAI Chat delta with `usage: null` the client asked for', openaiChat, chatEvent({ content: 'Hi' }, { usage: null }), CHAT_END, true],
    ['an OpenAI Chat tool call', openaiChat, chatEvent({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'sh', arguments: '' } }] }), CHAT_END, false],
    ['an OpenAI Chat legacy function call', openaiChat, chatEvent({ function_call: { name: 'sh', arguments: '' } }), CHAT_END, false],
    ['an OpenAI Chat delta with a \\u escape', openaiChat, chatEvent({ content: 'caf\u00e9' }).replace('é', '\\u00e9'), CHAT_END, false],
    ['a Gemini text part', gemini, geminiEvent([{ text: 'Hi' }]), GEMINI_END, true],
    ['a Gemini function call', gemini, geminiEvent([{ functionCall: { name: 'run_shell_command', args: { command: 'ls' } } }]), GEMINI_END, false],
    ['a Gemini function call whose key is spelled with a \\u escape', gemini, escapedCall, GEMINI_END, false],
  ];

  // With the usage capped asked for, OpenAI Chat chunks end in `"usage":null` (and, from OpenAI,
  // an `obfuscation` padding after it), which the client did not ask for.
  const padded = (delta: Record<string, unknown>): string => chatEvent(delta, { usage: null, obfuscation: 'x9Qz' });
  const injected: [string, string, string | null, string][] = [
    // name, first event, what leads (null: nothing before it is read), the first event as the client gets it
    ['a text delta ending in `"usage":null`', chatEvent({ content: 'Hi' }, { usage: null }), chatEvent({ content: 'Hi' }), chatEvent({ content: 'Hi' })],
    [
      'a text delta with the padding after `"usage":null`',
      padded({ content: 'Hi' }),
      chatEvent({ content: 'Hi' }, { obfuscation: 'x9Qz' }),
      chatEvent({ content: 'Hi' }, { obfuscation: 'x9Qz' }),
    ],
    [
      'a tool call',
      padded({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'sh', arguments: '' } }] }),
      null,
      chatEvent({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'sh', arguments: '' } }] }, { obfuscation: 'x9Qz' }),
    ],
    ['`usage` in the text too', chatEvent({ content: 'usage' }, { usage: null }), null, chatEvent({ content: 'usage' })],
    [
      '`"usage":null` not last',
      `data: ${JSON.stringify({ usage: null, choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n`,
      null,
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n`,
    ],
    [
      'two lines of data',
      `data: {"choices":[{"index":0,"delta":{"content":"Hi"},\ndata: "finish_reason":null}],"usage":null}\n\n`,
      null,
      'data: {"choices":[{"index":0,"delta":{"content":"Hi"},\ndata: "finish_reason":null}]}\n\n',
    ],
    ['CRLF line ends', chatEvent({ content: 'Hi' }, { usage: null }).replace(/\n/g, '\r\n'), null, chatEvent({ content: 'Hi' })],
    [
      'an escaped quote in the padding',
      chatEvent({ content: 'Hi' }, { usage: null, obfuscation: 'a"b' }),
      null,
      chatEvent({ content: 'Hi' }, { obfuscation: 'a"b' }),
    ],
  ];

  /** name, provider, usage asked for by capped, first event, end, what leads (null: nothing before it is read), the first event as the client gets it */
  type LeadCase = [string, Provider, boolean, string, string, string | null, string];
  const cases: LeadCase[] = [
    ...unnamed.map(([name, provider, first, end, leads]): LeadCase => [name, provider, false, first, end, leads ? first : null, first]),
    ...injected.map(([name, first, lead, forwarded]): LeadCase => [
      `an OpenAI Chat chunk with the usage capped asked for, ${name}`,
      openaiChat,
      true,
      first,
      CHAT_END,
      lead,
      forwarded,
    ]),
  ];

  it.each(cases)(
    'a first event without a name leads, whole or edited as its reading would, only when its bytes show all its reading would do: %s',
    async (_, provider, injectedUsage, first, end, lead, forwarded) => {
      const client: { res?: FakeResponse } = {};
      const { spied, sentWhenRead } = watched(provider, () => client.res!);
      const r = relay(spied, undefined, injectedUsage);
      client.res = r.res;
      r.upstream.send(first + end);
      r.upstream.finish();
      await r.done;
      expect(sentWhenRead[0]!.sent).toBe(lead ?? '');
      // Led or read first, it reaches the client as the meter's reading forwards it.
      expect(r.res.body).toBe(forwarded + end);
    },
  );

  it('a Gemini function call spelled with escapes is read, and refused, before any of it goes out', async () => {
    const asked: number[] = [];
    const { upstream, res, done } = relay(gemini, (reading) => {
      asked.push(reading.toolCalls);
      return refuseAll();
    });
    upstream.send(escapedCall + GEMINI_END);
    upstream.finish();
    await done;
    expectRefusedOnce(asked, res.body, 'run_shell_command');
  });

  it('a cut the input in message_start calls for comes right after it, and nothing else goes', async () => {
    // The input billed leaves no output the budget can pay for, and no more can be had.
    const { upstream, res, done } = relay(anthropic, undefined, false, {
      inputKnown: () => ({ outputTokens: 0, limit: 'usd' }),
      extend: () => ({ allowedOut: 0, short: 'usd' }),
    });
    upstream.send(START + TEXT + END);
    upstream.finish();
    await done;
    expect(res.body.startsWith(START)).toBe(true);
    expect(res.body).toContain('capped: cut');
    expect(res.body).not.toContain('Hello there');
    expect(res.ended).toBe(true);
  });

  it('an event named message_start whose data is a tool call does not lead: it is read, and refused, first', async () => {
    const asked: number[] = [];
    const { upstream, res, done } = relay(anthropic, (reading) => (asked.push(reading.toolCalls), refuseAll()));
    const named = `event: message_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_7', name: 'Bash', input: {} } })}\n\n`;
    upstream.send(named + END);
    upstream.finish();
    await done;
    expectRefusedOnce(asked, res.body, 'toolu_7');
  });

  it('only the first event leads: a message_start later in the stream waits to be read', async () => {
    const client: { res?: FakeResponse } = {};
    const { spied, sentWhenRead } = watched(anthropic, () => client.res!);
    const r = relay(spied);
    client.res = r.res;
    const ping = 'event: ping\ndata: {"type": "ping"}\n\n';
    r.upstream.send(ping + START + END);
    r.upstream.finish();
    await r.done;
    const start = sentWhenRead.find((e) => e.name === 'message_start')!;
    expect(start.sent).toBe(ping);
    expect(r.res.body).toBe(ping + START + END);
  });
});

describe('EventRelay: what it copies', () => {
  const openaiDelta = (i: number): string => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `word ${i} ` }, finish_reason: null }] })}\n\n`;
  const toolDelta = (i: number): string => sse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: `"w${i}",` } });
  const streams: [string, Provider, string][] = [
    ['OpenAI Chat text deltas', openaiChat, Array.from({ length: 3000 }, (_, i) => openaiDelta(i)).join('') + 'data: [DONE]\n\n'],
    [
      'Anthropic tool input deltas',
      anthropic,
      START +
        sse('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} } }) +
        Array.from({ length: 3000 }, (_, i) => toolDelta(i)).join('') +
        END,
    ],
  ];

  it.each(streams)("forwards a chunk's events as views of the chunk, copying only an event begun in the chunk before (%s)", async (_, provider, text) => {
    const { upstream, res, done } = relay(provider);
    const stream = Buffer.from(text);
    // Chunks as a socket reads them: each a buffer of its own, in a turn of its own, ending
    // mid-event, and (the last one too) larger than the pieces ClientWrites joins.
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 20_000) {
      const end = stream.length - (at + 20_000) < 18_000 ? stream.length : at + 20_000;
      chunks.push(Buffer.from(stream.subarray(at, end)));
      if (end === stream.length) break;
    }
    for (const chunk of chunks) {
      upstream.emit('data', chunk);
      await turnEnd();
    }
    upstream.finish();
    await done;
    expect(res.body).toBe(text);
    const fromChunks = new Set(chunks.map((c) => c.buffer));
    const copied = res.given.filter((b) => typeof b === 'string' || !fromChunks.has(b.buffer)).reduce((n, b) => n + b.length, 0);
    // At most one event per chunk boundary; joining a chunk's events copied them all.
    // (The first chunk holds the whole of message_start, the longest event.)
    const longest = Math.max(...text.split('\n\n').map((event) => (text.startsWith(event) ? 0 : event.length + 2)));
    expect(copied).toBeLessThanOrEqual(chunks.length * longest);
    expect(copied).toBeGreaterThan(0);
  });

  it("writes the events of one upstream read (a data event each, as Node's chunked decoding gives them) in two writes: the first at once", async () => {
    const { upstream, res, done } = relay(openaiChat);
    const text = Array.from({ length: 50 }, (_, i) => openaiDelta(i)).join('');
    upstream.send(text, 50);
    expect(res.body).toBe(openaiDelta(0));
    await Promise.resolve();
    expect(res.given).toHaveLength(2);
    expect(res.body).toBe(text);
    upstream.send('data: [DONE]\n\n');
    upstream.finish();
    await done;
    expect(res.body).toBe(`${text}data: [DONE]\n\n`);
    expect(res.ended).toBe(true);
  });
});

describe('EventRelay (OpenAI Chat SSE, in memory)', () => {
  const chunk = (o: Record<string, unknown>): string =>
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4.1-mini', ...o })}\n\n`;
  it('drops the usage chunk capped asked for and reads its usage; the tool call passes', async () => {
    const { upstream, res, done } = relay(openaiChat, undefined, true);
    const call = chunk({
      choices: [
        { index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'exec', arguments: '' } }] }, finish_reason: null },
      ],
      usage: null,
    });
    const args = chunk({
      choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"cmd":"ls"}' } }] }, finish_reason: 'tool_calls' }],
      usage: null,
    });
    const usage = chunk({ choices: [], usage: { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57 } });
    upstream.send(call + args + usage + 'data: [DONE]\n\n', 3);
    upstream.finish();
    const outcome = await done;
    expect(res.body).not.toContain('prompt_tokens');
    expect(res.body).toContain('"arguments":"{\\"cmd\\":\\"ls\\"}"');
    expect(res.body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(outcome.reading.usage.input).toBe(50);
    expect(outcome.reading.usage.output).toBe(7);
    expect(outcome.reading.toolCalls).toBe(1);
  });
});

/**
 * Relays START, then `delta` in two sends (the first `firstPart` characters must reach the client
 * before the event is whole, the rest cut in `pieces`), then END; the client must get every byte.
 */
async function relayedInTwo(delta: string, firstPart: number, pieces: number): Promise<RelayOutcome> {
  const { upstream, res, done } = relay(anthropic);
  upstream.send(START + delta.slice(0, firstPart));
  expect(res.body).toBe(START + delta.slice(0, firstPart));
  upstream.send(delta.slice(firstPart) + END, pieces);
  upstream.finish();
  const outcome = await done;
  expect(res.body).toBe(START + delta + END);
  return outcome;
}

describe('EventRelay pass-through events', () => {
  it('sends a big text delta on as it arrives, before it is whole, and meters it once whole', async () => {
    const delta = sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x'.repeat(100_000) } });
    const outcome = await relayedInTwo(delta, 50_000, 3);
    expect(outcome.reading.outputChars).toBe(100_000);
    expect(outcome.reading.usage.output).toBe(42);
  });

  // 997 chunks of ~110 bytes are read by the JavaScript loop, 37 of ~3 KB by the WebAssembly one.
  it.each([997, 37])('meters a delta streaming through in %i chunks from its pieces: escapes and characters split across chunks', async (chunks) => {
    const { upstream, res, done } = relay(anthropic);
    const text = 'line "one"\n\tété 中文 😀 \\ '.repeat(3_000);
    const delta = sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
    upstream.send(START + delta + END, chunks);
    upstream.finish();
    const outcome = await done;
    expect(res.body).toBe(START + delta + END);
    expect(outcome.reading.outputChars).toBe(text.length);
    expect(outcome.reading.malformed).toBe(0);
  });

  it('a delta not laid out as the meter reads bytes waits to be whole, and is read the usual way', async () => {
    // Keys in another order: the name promises a delta, the bytes do not show one.
    const delta = `event: content_block_delta\ndata: ${JSON.stringify({ index: 0, type: 'content_block_delta', delta: { text: 'z'.repeat(50_000), type: 'text_delta' } })}\n\n`;
    const { upstream, res, done } = relay(anthropic);
    upstream.send(START + delta.slice(0, 20_000));
    await turnEnd();
    expect(res.body).toBe(START);
    upstream.send(delta.slice(20_000) + END, 7);
    upstream.finish();
    const outcome = await done;
    expect(res.body).toBe(START + delta + END);
    expect(outcome.reading.outputChars).toBe(50_000);
  });

  it('an event named as a delta that is a tool call once read is never forwarded, not even its first bytes', async () => {
    // JSON.parse (and the agent's SDK) reads the data's own type: a tool_use block starts here.
    const block = { type: 'tool_use', id: 'toolu_9', name: 'Bash', input: { command: 'rm -rf /tmp/x', pad: 'p'.repeat(30_000) } };
    const smuggled = `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_start', index: 1, content_block: block })}\n\n`;
    const asked: number[] = [];
    const { upstream, res, done } = relay(anthropic, (reading) => (asked.push(reading.toolCalls), refuseAll()));
    upstream.send(START + smuggled.slice(0, 10_000));
    await turnEnd();
    expect(res.body).toBe(START);
    upstream.send(smuggled.slice(10_000) + END, 3);
    upstream.finish();
    await done;
    expectRefusedOnce(asked, res.body, 'toolu_9');
  });

  it('a delta streams its text on, and holds what follows the text until the event is read: a second type there makes it a refused tool call', async () => {
    const call = '"item":{"type":"function_call","id":"fc_1","call_id":"c1","name":"shell","arguments":"{}"}';
    const text = 'z'.repeat(40_000);
    const smuggled = `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_1","delta":"${text}","type":"response.output_item.done","output_index":1,${call}}\n\n`;
    const { upstream, res, done } = relay(openaiResponses, refuseAll);
    const cut = smuggled.indexOf(text) + 20_000;
    upstream.send(CREATED + smuggled.slice(0, cut));
    await turnEnd();
    // The text streams on as it comes.
    expect(res.body).toBe(CREATED + smuggled.slice(0, cut));
    upstream.send(smuggled.slice(cut), 4);
    upstream.finish();
    const outcome = await done;
    expect(outcome.reading.toolCalls).toBe(1);
    // Nothing after the text went: not the second type, nor the call.
    expect(res.body.startsWith(CREATED + smuggled.slice(0, smuggled.indexOf(text) + text.length))).toBe(true);
    expect(res.body).not.toContain('function_call');
    expect(res.body).toContain(REFUSAL);
  });

  it('a delta whose tail is its own sends the tail once it is read', async () => {
    const delta = sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'y'.repeat(40_000), logprobs: [] });
    const { upstream, res, done } = relay(openaiResponses);
    upstream.send(CREATED + delta.slice(0, 30_000));
    upstream.send(delta.slice(30_000), 5);
    upstream.finish();
    const outcome = await done;
    expect(res.body).toBe(CREATED + delta);
    expect(outcome.reading.outputChars).toBe(40_000);
  });

  it('a stream cut inside a delta that streams through: its bytes are passed on, the cut event counts as unreadable', async () => {
    const { upstream, res, done } = relay(anthropic);
    const delta = sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'q'.repeat(30_000) } });
    upstream.send(START + delta.slice(0, 25_000), 5);
    upstream.close();
    const outcome = await done;
    expect(res.body).toBe(START + delta.slice(0, 25_000));
    expect(res.destroyed).toBe(true);
    expect(outcome.reading.complete).toBe(false);
    expect(outcome.reading.malformed).toBe(1);
  });

  it('holds back an event that may carry a tool call until it is whole', async () => {
    const { upstream, res } = relay(anthropic, refuseAll);
    upstream.send(START);
    upstream.send(TOOL.slice(0, 40));
    await turnEnd();
    expect(res.body).toBe(START);
    upstream.send(TOOL.slice(40));
    expect(res.body).not.toContain('tool_use');
    expect(res.body).toContain(REFUSAL);
  });

  it('a stream cut at its allowance meters the events it had already read after the crossing one (the upstream bills them)', async () => {
    // An allowance of 3 output tokens the budget cannot extend: the first delta crosses it.
    const bound = { allowance: () => 3, extend: () => ({ allowedOut: 3, short: 'usd' as const }) };
    const { upstream, res, done } = relay(anthropic, undefined, false, bound);
    const delta = (text: string): string => sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
    const crossing = delta('a'.repeat(40));
    const after = delta('b'.repeat(400));
    upstream.send(START + sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) + crossing + after);
    const outcome = await done;
    expect(upstream.destroyed).toBe(true);
    expect(res.body).toContain('capped: cut');
    expect(res.body).not.toContain('b'.repeat(400));
    expect(outcome.reading.outputChars).toBe(440);
  });

  it('finishes a started delta before the refusal that follows it, so the client never sees half an event', () => {
    const { upstream, res } = relay(anthropic, refuseAll);
    const delta = sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'y'.repeat(5_000) } });
    upstream.send(START + delta.slice(0, 1_000));
    upstream.send(delta.slice(1_000) + TOOL);
    expect(res.body.startsWith(START + delta)).toBe(true);
    expect(res.body.slice((START + delta).length)).toMatch(/^event: error\n/);
  });
});

describe('EventRelay and a client that stops reading', () => {
  it('reads the upstream on to its usage when the client goes away while the upstream is paused for it', async () => {
    const upstream = new FakeUpstream();
    // A client whose socket buffer is full (every write asks the relay to wait), then hangs up.
    const res = new FakeResponse();
    res.write = (data: Buffer | string): boolean => {
      res.writes.push(Buffer.from(data));
      return false;
    };
    let gone = false;
    const done = new EventRelay({
      provider: anthropic,
      meter: anthropic.createMeter({ injectedUsage: false }),
      upstream,
      res: res as unknown as http.ServerResponse,
      hooks: relayHooks(),
      allowedOut: 1_000_000,
      clientGone: () => gone,
    }).run();
    upstream.send(START + TEXT);
    await turnEnd();
    expect(upstream.paused).toBe(true);
    gone = true;
    res.emit('close'); // no 'drain' will ever come
    expect(upstream.paused).toBe(false);
    upstream.send(END);
    upstream.finish();
    const outcome = await done;
    expect(outcome.reading.complete).toBe(true);
    expect(outcome.reading.usage.output).toBe(42);
    expect(res.listenerCount('drain') + res.listenerCount('close')).toBe(0);
  });
});

describe('EventRelay: the end of the stream', () => {
  it("ends the agent's response at the upstream's 'end', not its later 'close', and only once", async () => {
    const { upstream, res, done } = relay(anthropic);
    upstream.send(START + TEXT + END);
    upstream.end();
    expect(res.ended).toBe(true);
    const outcome = await done;
    expect(outcome.reading.complete).toBe(true);
    expect(outcome.reading.usage.output).toBe(42);
    upstream.close();
    expect(res.endCalls).toBe(1);
    expect(res.destroyed).toBe(false);
  });

  it('a stream cut off (closed, never ended) is destroyed, not ended', async () => {
    const { upstream, res, done } = relay(anthropic);
    upstream.send(START + TEXT);
    upstream.close();
    const outcome = await done;
    expect(res.destroyed).toBe(true);
    expect(res.ended).toBe(false);
    expect(outcome.reading.complete).toBe(false);
  });
});
