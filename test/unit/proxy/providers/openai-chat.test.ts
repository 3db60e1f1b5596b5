import { describe, expect, it } from 'vitest';
import { usdToNano } from '../../../../src/budget/money.js';
import { createPriceBook, type BillableUsage } from '../../../../src/pricing/price-book.js';
import { openaiChat } from '../../../../src/proxy/providers/openai-chat.js';
import type { Meter, MeterReading } from '../../../../src/proxy/providers/types.js';
import type { EventVerdict } from '../../../../src/proxy/providers/types.js';
import { SseReader, type SseEvent } from '../../../../src/proxy/sse-reader.js';

const MODEL = 'gpt-4.1-2025-04-14';

/** One `chat.completion.chunk` as OpenAI sends it once usage is requested (`usage: null` until the end). */
function chunk(choices: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-BzX1',
    object: 'chat.completion.chunk',
    created: 1_753_000_000,
    model: MODEL,
    service_tier: 'default',
    system_fingerprint: 'fp_b3f1157249',
    choices,
    usage: null,
    ...extra,
  };
}

function choice(delta: Record<string, unknown>, finish: string | null = null, index = 0): Record<string, unknown> {
  return { index, delta, logprobs: null, finish_reason: finish };
}

function usageChunk(prompt: number, cached: number, completion: number, reasoning = 0): Record<string, unknown> {
  return chunk([], {
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
  });
}

/** The raw SSE body: one `data:` line per chunk, a blank line after each, then `data: [DONE]`. */
function wire(chunks: unknown[], done = true): string {
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '');
}

interface Fed {
  events: SseEvent[];
  /** Forward or drop; a forward with the proxy's usage:null taken out counts as forward. */
  decisions: Array<'forward' | 'drop'>;
  /** toolCalls as read after each event. */
  toolCallsAfter: number[];
}

/** Feeds raw wire text through SseReader in small uneven pieces, as bytes arrive from a socket. */
function feed(meter: Meter, raw: string, piece = 7): Fed {
  const reader = new SseReader();
  const fed: Fed = { events: [], decisions: [], toolCallsAfter: [] };
  const take = (events: SseEvent[]): void => {
    for (const e of events) {
      fed.events.push(e);
      const verdict: EventVerdict = meter.event(e);
      fed.decisions.push(typeof verdict === 'object' ? 'forward' : verdict);
      fed.toolCallsAfter.push(meter.reading().toolCalls);
    }
  };
  const bytes = Buffer.from(raw, 'utf8');
  for (let i = 0; i < bytes.length; i += piece) take(reader.push(bytes.subarray(i, i + piece)));
  take(reader.end());
  return fed;
}

function billable(r: MeterReading): BillableUsage {
  const u = r.usage;
  for (const [k, v] of Object.entries(u)) if (v === null) throw new Error(`usage.${k} is null`);
  return u as BillableUsage;
}

const TEXT_STREAM = [
  chunk([choice({ role: 'assistant', content: '', refusal: null })], { obfuscation: 'q3Zr' }),
  chunk([choice({ content: 'Hello' })], { obfuscation: 'x1' }),
  chunk([choice({ content: ', wörld' })]),
  chunk([choice({ content: '! 👋' })]),
  chunk([choice({}, 'stop')]),
  usageChunk(1200, 1024, 9),
];

// Two sequential calls streamed delta by delta, then two parallel calls opened in one chunk.
const TOOL_STREAM = [
  chunk([
    choice({
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { name: 'read_file', arguments: '' } }],
      refusal: null,
    }),
  ]),
  chunk([choice({ tool_calls: [{ index: 0, function: { arguments: '{"pa' } }] })]),
  chunk([choice({ tool_calls: [{ index: 0, function: { arguments: 'th":"src/a.ts"}' } }] })]),
  chunk([choice({ tool_calls: [{ index: 1, id: 'call_B', type: 'function', function: { name: 'grep', arguments: '' } }] })]),
  chunk([choice({ tool_calls: [{ index: 1, function: { arguments: '{"q":"TODO"}' } }] })]),
  chunk([
    choice({
      tool_calls: [
        { index: 2, id: 'call_C', type: 'function', function: { name: 'ls', arguments: '{}' } },
        { index: 3, id: 'call_D', type: 'function', function: { name: 'ls', arguments: '{"d":1}' } },
      ],
    }),
  ]),
  chunk([choice({}, 'tool_calls')]),
  usageChunk(5000, 0, 77),
];
const TOOL_ARG_CHARS = '{"path":"src/a.ts"}'.length + '{"q":"TODO"}'.length + '{}'.length + '{"d":1}'.length;

describe('classify', () => {
  it('meters POST .../chat/completions with or without a /v1 prefix', () => {
    expect(openaiChat.classify('POST', '/chat/completions')).toBe('generate');
    expect(openaiChat.classify('POST', '/v1/chat/completions')).toBe('generate');
    expect(openaiChat.classify('POST', '/chat/completions/')).toBe('generate');
  });

  it('lets reads through and treats other POSTs as other', () => {
    expect(openaiChat.classify('GET', '/models')).toBe('free');
    expect(openaiChat.classify('GET', '/chat/completions')).toBe('free');
    expect(openaiChat.classify('POST', '/completions')).toBe('other');
    expect(openaiChat.classify('POST', '/embeddings')).toBe('other');
    expect(openaiChat.classify('POST', '/chat/completions/chatcmpl-1')).toBe('other');
  });
});

describe('inspect', () => {
  it('reads model, the ceiling (max_completion_tokens first) and streaming', () => {
    expect(openaiChat.inspect({ model: 'gpt-5', max_completion_tokens: 900, max_tokens: 50, stream: true }, '/chat/completions')).toEqual({
      model: 'gpt-5',
      maxTokens: 900,
      stream: true,
      clampable: true,
    });
    expect(openaiChat.inspect({ model: 'gpt-4o', max_tokens: 256 }, '/chat/completions')).toEqual({
      model: 'gpt-4o',
      maxTokens: 256,
      stream: false,
      clampable: true,
    });
    expect(openaiChat.inspect({ model: 'gpt-4o', max_completion_tokens: null, max_tokens: 300 }, '/chat/completions').maxTokens).toBe(300);
  });

  it('reports null for what the client did not set, and streams only on stream: true', () => {
    expect(openaiChat.inspect({ model: 'o3', stream: 'yes' }, '/chat/completions')).toEqual({ model: 'o3', maxTokens: null, stream: false, clampable: true });
    expect(openaiChat.inspect({ model: '', max_tokens: -1 }, '/chat/completions')).toEqual({ model: null, maxTokens: null, stream: false, clampable: true });
    expect(openaiChat.inspect('not an object', '/chat/completions')).toEqual({ model: null, maxTokens: null, stream: false, clampable: true });
  });
});

describe('prepare', () => {
  const info = (stream: boolean) => ({ model: 'gpt-4.1', maxTokens: null, stream, clampable: true });

  it('asks a stream for usage when the client did not, keeping its other stream options', () => {
    const body = { model: 'gpt-4.1', stream: true, stream_options: { include_obfuscation: false }, messages: [] };
    const prepared = openaiChat.prepare(body, info(true));
    expect(prepared).toEqual({
      body: { model: 'gpt-4.1', stream: true, stream_options: { include_obfuscation: false, include_usage: true }, messages: [] },
      injectedUsage: true,
    });
    expect(body.stream_options).toEqual({ include_obfuscation: false }); // the original is untouched
    expect(openaiChat.prepare({ model: 'gpt-4.1', stream: true }, info(true))).toEqual({
      body: { model: 'gpt-4.1', stream: true, stream_options: { include_usage: true } },
      injectedUsage: true,
    });
  });

  it('overrides an explicit include_usage: false (and drops that chunk again later)', () => {
    const prepared = openaiChat.prepare({ model: 'gpt-4.1', stream: true, stream_options: { include_usage: false } }, info(true));
    expect(prepared?.injectedUsage).toBe(true);
    expect(prepared?.body.stream_options).toEqual({ include_usage: true });
  });

  it('changes nothing when usage is already asked for or the response is not a stream', () => {
    expect(openaiChat.prepare({ model: 'gpt-4.1', stream: true, stream_options: { include_usage: true } }, info(true))).toBeNull();
    expect(openaiChat.prepare({ model: 'gpt-4.1' }, info(false))).toBeNull();
  });
});

describe('withMaxTokens', () => {
  it('lowers the field the client used and never adds the other one', () => {
    expect(openaiChat.withMaxTokens({ model: 'o3', max_completion_tokens: 50_000 }, 4000)).toEqual({ model: 'o3', max_completion_tokens: 4000 });
    const legacy = openaiChat.withMaxTokens({ model: 'gpt-4o', max_tokens: 8000 }, 4000);
    expect(legacy).toEqual({ model: 'gpt-4o', max_tokens: 4000 });
    expect('max_completion_tokens' in legacy).toBe(false);
  });

  it('sets max_completion_tokens when the client set no ceiling', () => {
    expect(openaiChat.withMaxTokens({ model: 'gpt-5' }, 1234)).toEqual({ model: 'gpt-5', max_completion_tokens: 1234 });
    expect(openaiChat.withMaxTokens({ model: 'gpt-5', max_tokens: null }, 1234)).toEqual({ model: 'gpt-5', max_tokens: null, max_completion_tokens: 1234 });
  });

  it('leaves neither field above the ceiling when the client sent both, and does not mutate', () => {
    const body = { model: 'gpt-4.1', max_completion_tokens: 9000, max_tokens: 3000 };
    expect(openaiChat.withMaxTokens(body, 5000)).toEqual({ model: 'gpt-4.1', max_completion_tokens: 5000, max_tokens: 3000 });
    expect(openaiChat.withMaxTokens(body, 1000)).toEqual({ model: 'gpt-4.1', max_completion_tokens: 1000, max_tokens: 1000 });
    expect(body).toEqual({ model: 'gpt-4.1', max_completion_tokens: 9000, max_tokens: 3000 });
  });
});

describe('defaultMaxTokens', () => {
  it('returns the family maximum output, gateway prefixes ignored', () => {
    expect(openaiChat.defaultMaxTokens('gpt-5')).toBe(128_000);
    expect(openaiChat.defaultMaxTokens('gpt-5.1-codex')).toBe(128_000);
    expect(openaiChat.defaultMaxTokens('o3-mini')).toBe(100_000);
    expect(openaiChat.defaultMaxTokens('o1-mini')).toBe(65_536);
    expect(openaiChat.defaultMaxTokens('gpt-4.1-mini')).toBe(32_768);
    expect(openaiChat.defaultMaxTokens('gpt-4o-2024-08-06')).toBe(16_384);
    expect(openaiChat.defaultMaxTokens('openai/GPT-4o-mini')).toBe(16_384);
    expect(openaiChat.defaultMaxTokens('gpt-4-turbo')).toBe(4_096);
    expect(openaiChat.defaultMaxTokens('gpt-3.5-turbo')).toBe(4_096);
  });

  it('reserves generously for a model it does not know', () => {
    expect(openaiChat.defaultMaxTokens('some-new-model')).toBe(128_000);
  });
});

describe('stream meter', () => {
  it('reads a text stream the client asked usage for: exact usage, every event forwarded', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    const fed = feed(meter, wire(TEXT_STREAM));
    expect(fed.events).toHaveLength(TEXT_STREAM.length + 1);
    expect(fed.events.at(-1)).toEqual({ event: null, data: '[DONE]' });
    expect(fed.decisions.every((d) => d === 'forward')).toBe(true);
    expect(meter.reading()).toEqual({
      model: MODEL,
      usage: { input: 1200 - 1024, output: 9, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, webSearches: 0 },
      complete: true,
      toolCalls: 0,
      outputChars: 'Hello, wörld! 👋'.length,
      malformed: 0,
    });
  });

  it('takes out only the usage:null member the proxy caused, every other byte as it came', () => {
    const meter = openaiChat.createMeter({ injectedUsage: true });
    const data = '{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}';
    expect(meter.event({ event: null, data })).toEqual({
      replace: 'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
    });
    const first = '{"usage":null,"id":"c2","choices":[]}';
    expect(meter.event({ event: null, data: first })).toEqual({ replace: 'data: {"id":"c2","choices":[]}\n\n' });
    // when the client asked for usage itself, nothing is changed
    expect(openaiChat.createMeter({ injectedUsage: false }).event({ event: null, data })).toBe('forward');
  });

  it('drops only the usage chunk the proxy asked for', () => {
    const meter = openaiChat.createMeter({ injectedUsage: true });
    const fed = feed(meter, wire(TEXT_STREAM));
    const dropped = fed.events.filter((_, i) => fed.decisions[i] === 'drop');
    expect(dropped).toHaveLength(1);
    expect(JSON.parse(dropped[0]!.data)).toEqual(usageChunk(1200, 1024, 9));
    expect(fed.decisions).toEqual(['forward', 'forward', 'forward', 'forward', 'forward', 'drop', 'forward']);
    expect(meter.reading().complete).toBe(true);
    expect(meter.reading().usage.output).toBe(9);
  });

  it('counts streamed tool calls once each, at their first delta', () => {
    const meter = openaiChat.createMeter({ injectedUsage: true });
    const fed = feed(meter, wire(TOOL_STREAM), 5);
    expect(fed.toolCallsAfter).toEqual([1, 1, 1, 2, 2, 4, 4, 4, 4]);
    expect(fed.decisions).toEqual(['forward', 'forward', 'forward', 'forward', 'forward', 'forward', 'forward', 'drop', 'forward']);
    const r = meter.reading();
    expect(r.toolCalls).toBe(4);
    expect(r.outputChars).toBe(TOOL_ARG_CHARS);
    expect(r.usage).toEqual({ input: 5000, output: 77, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, webSearches: 0 });
  });

  it('keeps one count per call when a server repeats the id on every delta', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    feed(
      meter,
      wire([
        chunk([choice({ tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { name: 'run', arguments: '{"cmd":' } }] })]),
        chunk([choice({ tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { arguments: '"ls"}' } }] })]),
        chunk([choice({ tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { arguments: '' } }] }, 'tool_calls')]),
      ]),
    );
    expect(meter.reading().toolCalls).toBe(1);
    expect(meter.reading().outputChars).toBe('{"cmd":"ls"}'.length);
  });

  it('tells apart calls of different choices (n > 1) that share an index', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    const call = (id: string) => ({ tool_calls: [{ index: 0, id, type: 'function', function: { name: 'f', arguments: '{}' } }] });
    feed(meter, wire([chunk([choice(call('call_1'), null, 0), choice(call('call_2'), null, 1)])]));
    expect(meter.reading().toolCalls).toBe(2);
  });

  it('counts reasoning text that compatible servers stream beside the content', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    feed(meter, wire([chunk([choice({ reasoning_content: 'think' })]), chunk([choice({ reasoning: 'more' })]), chunk([choice({ content: 'ok' })])]));
    expect(meter.reading().outputChars).toBe('think'.length + 'more'.length + 'ok'.length);
  });

  it('normalises cached prompt tokens: input excludes them, cacheRead holds them', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    feed(meter, wire([chunk([choice({ content: 'x' }, 'stop')]), usageChunk(20_000, 18_432, 640, 512)]));
    const u = meter.reading().usage;
    expect(u.input).toBe(1568);
    expect(u.cacheRead).toBe(18_432);
    expect(u.output).toBe(640); // reasoning tokens are already inside completion_tokens
    expect(u.input! + u.cacheRead!).toBe(20_000);
  });

  it('takes cache writes out of the prompt when a gateway reports them', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    meter.json({
      object: 'chat.completion',
      model: 'anthropic/claude-sonnet-4.5',
      choices: [],
      usage: { prompt_tokens: 3000, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 1500 } },
    });
    expect(meter.reading().usage).toMatchObject({ input: 500, cacheRead: 1000, cacheWrite5m: 1500, cacheWrite1h: 0 });
  });

  it('stays incomplete when the stream is cut before the usage chunk', () => {
    const meter = openaiChat.createMeter({ injectedUsage: true });
    const fed = feed(meter, wire(TEXT_STREAM.slice(0, 3), false));
    expect(fed.decisions.every((d) => d === 'forward')).toBe(true);
    const r = meter.reading();
    expect(r.complete).toBe(false);
    expect(r.usage).toEqual({ input: null, output: null, cacheRead: null, cacheWrite5m: null, cacheWrite1h: null, webSearches: null });
    expect(r.outputChars).toBe('Hello, wörld'.length);
    expect(r.model).toBe(MODEL);
  });

  it('forwards chunks that only look like the usage chunk', () => {
    const meter = openaiChat.createMeter({ injectedUsage: true });
    const fed = feed(
      meter,
      wire([
        // Azure's opening chunk: no choices, no usage, empty model.
        { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0 }] },
        // A server that reports running usage on chunks that still carry choices.
        chunk([choice({ content: 'hi' })], { usage: { prompt_tokens: 10, completion_tokens: 1 } }),
      ]),
    );
    expect(fed.decisions).toEqual(['forward', 'forward', 'forward']);
    expect(meter.reading().model).toBe(MODEL);
  });

  it('counts unreadable data as malformed, never [DONE] or an error event, and never throws', () => {
    const meter = openaiChat.createMeter({ injectedUsage: true });
    const raw =
      'data: {"choices":[{"index":0,"delta":{"content":"a"}}]\n\n' + // truncated JSON
      'data: [1,2]\n\n' +
      ': keep-alive comment\n\n' +
      `data: ${JSON.stringify(chunk([choice({ content: 'b' })]))}\n\n` +
      'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n' +
      'data: [DONE]\n\n';
    const fed = feed(meter, raw, 3);
    expect(fed.decisions).toEqual(['forward', 'forward', 'forward', 'forward', 'forward']);
    const r = meter.reading();
    expect(r.malformed).toBe(2);
    expect(r.outputChars).toBe(1);
    expect(r.complete).toBe(false);
  });
});

describe('JSON meter', () => {
  it('reads a whole completion: text, tool calls, usage', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    meter.json({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1_753_000_000,
      model: 'gpt-4o-2024-08-06',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking.',
            refusal: null,
            annotations: [],
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'read', arguments: '{"p":"a"}' } },
              { id: 'call_2', type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 4096,
        completion_tokens: 80,
        total_tokens: 4176,
        prompt_tokens_details: { cached_tokens: 2048, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_1',
    });
    expect(meter.reading()).toEqual({
      model: 'gpt-4o-2024-08-06',
      usage: { input: 2048, output: 80, cacheRead: 2048, cacheWrite5m: 0, cacheWrite1h: 0, webSearches: 0 },
      complete: true,
      toolCalls: 2,
      outputChars: 'Checking.'.length + '{"p":"a"}'.length + '*** Begin Patch'.length,
      malformed: 0,
    });
  });

  it('counts the deprecated function_call once', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    meter.json({ model: 'gpt-4o', choices: [{ index: 0, message: { content: null, function_call: { name: 'f', arguments: '{"a":1}' } } }] });
    expect(meter.reading().toolCalls).toBe(1);
    expect(meter.reading().complete).toBe(false);
  });

  it('reads an error body as nothing to charge, and an unreadable one as malformed', () => {
    const meter = openaiChat.createMeter({ injectedUsage: false });
    meter.json({ error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    expect(meter.reading().malformed).toBe(0);
    expect(meter.reading().usage.input).toBeNull();
    meter.json(undefined);
    meter.json('text');
    expect(meter.reading().malformed).toBe(2);
  });
});

describe('errors', () => {
  it('refuses a budget overrun with OpenAI insufficient_quota', () => {
    const e = openaiChat.error(402, 'capped: run budget $1.50 reached');
    expect(e.status).toBe(402);
    expect(JSON.parse(e.body)).toEqual({
      error: { message: 'capped: run budget $1.50 reached', type: 'insufficient_quota', param: null, code: 'insufficient_quota' },
    });
  });

  it('uses invalid_request_error for 4xx and server_error for 5xx', () => {
    expect(JSON.parse(openaiChat.error(400, 'bad').body)).toEqual({ error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } });
    expect(JSON.parse(openaiChat.error(413, 'big').body)).toMatchObject({ error: { type: 'invalid_request_error' } });
    const gateway = openaiChat.error(502, 'upstream unreachable');
    expect(gateway.status).toBe(502);
    expect(JSON.parse(gateway.body)).toEqual({ error: { message: 'upstream unreachable', type: 'server_error', param: null, code: null } });
  });

  it('writes a stream error as one data event that OpenAI clients raise', () => {
    const text = openaiChat.streamError('capped: tool-call limit reached');
    expect(text.endsWith('\n\n')).toBe(true);
    const reader = new SseReader();
    const events = [...reader.push(text), ...reader.end()];
    expect(events).toHaveLength(1);
    expect(events[0]!.event).toBeNull();
    expect(JSON.parse(events[0]!.data)).toEqual({
      error: { message: 'capped: tool-call limit reached', type: 'insufficient_quota', param: null, code: 'insufficient_quota' },
    });
    // The meter forwards it as an error, not as malformed data.
    const meter = openaiChat.createMeter({ injectedUsage: true });
    expect(meter.event(events[0]!)).toBe('forward');
    expect(meter.reading().malformed).toBe(0);
  });
});

describe('pricing the reading', () => {
  it('prices gpt-4.1 from the meter: $2 uncached in, $0.50 cached, $8 out per million', () => {
    const meter = openaiChat.createMeter({ injectedUsage: true });
    feed(meter, wire([chunk([choice({ content: 'done' }, 'stop')]), usageChunk(12_000, 8_000, 1_500)]));
    const usage = billable(meter.reading());
    const expected = usdToNano((4_000 * 2 + 8_000 * 0.5 + 1_500 * 8) / 1_000_000); // $0.024
    expect(expected).toBe(24_000_000);
    expect(createPriceBook().cost('openai', 'gpt-4.1', usage)).toBe(expected);
    // Had cached tokens been left in `input`, they would be billed twice.
    expect(createPriceBook().cost('openai', 'gpt-4.1', { ...usage, input: 12_000 })).not.toBe(expected);
  });
});
