import { describe, expect, it } from 'vitest';
import { anthropic } from '../../../../src/proxy/providers/anthropic.js';
import type { Meter } from '../../../../src/proxy/providers/types.js';
import { SseReader, type SseEvent } from '../../../../src/proxy/sse-reader.js';

const MODEL = 'claude-sonnet-4-5-20250929';

const ev = (data: unknown, event?: string): SseEvent => ({
  event: event ?? (typeof data === 'object' && data !== null && 'type' in data ? String(data.type) : null),
  data: typeof data === 'string' ? data : JSON.stringify(data),
});

const meter = (): Meter => anthropic.createMeter({ injectedUsage: false });

function feed(m: Meter, events: SseEvent[]): void {
  for (const e of events) m.event(e);
}

const messageStart = (usage: Record<string, unknown>) =>
  ev({
    type: 'message_start',
    message: { id: 'msg_01', type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, usage },
  });

const messageDelta = (usage: Record<string, unknown>, stop = 'end_turn') =>
  ev({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage });

/** A full streamed turn: text, thinking, a tool call; message_delta repeats the input fields. */
const FULL_STREAM: SseEvent[] = [
  messageStart({
    input_tokens: 2500,
    cache_creation_input_tokens: 1000,
    cache_read_input_tokens: 30_000,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1000 },
    output_tokens: 1,
  }),
  ev({ type: 'ping' }),
  ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me look.' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'abcdef' } }),
  ev({ type: 'content_block_stop', index: 0 }),
  ev({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
  ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hello, ' } }),
  ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'wörld' } }),
  ev({ type: 'content_block_stop', index: 1 }),
  ev({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01', name: 'Bash', input: {} } }),
  ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"command": ' } }),
  ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"ls"}' } }),
  ev({ type: 'content_block_stop', index: 2 }),
  messageDelta({ input_tokens: 2500, cache_creation_input_tokens: 1000, cache_read_input_tokens: 30_000, output_tokens: 87 }, 'tool_use'),
  ev({ type: 'message_stop' }),
];

describe('anthropic meter (SSE)', () => {
  it('reads a full stream without double counting repeated input fields', () => {
    const m = meter();
    feed(m, FULL_STREAM);
    expect(m.reading()).toEqual({
      model: MODEL,
      usage: { input: 2500, output: 87, cacheRead: 30_000, cacheWrite5m: 0, cacheWrite1h: 1000, webSearches: null },
      complete: true,
      toolCalls: 1,
      // 'Let me look.' 12 + 'Hello, ' 7 + 'wörld' 5 + '{}' 2 + '{"command": ' 12 + '"ls"}' 5
      outputChars: 12 + 7 + 5 + 2 + 12 + 5,
      malformed: 0,
    });
  });

  it('reads the same from raw SSE bytes through the reader', () => {
    const text = FULL_STREAM.map((e) => `event: ${e.event}\r\ndata: ${e.data}\r\n\r\n`).join('');
    const m = meter();
    const reader = new SseReader();
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 13) feed(m, reader.push(bytes.subarray(i, i + 13)));
    feed(m, reader.end());
    const direct = meter();
    feed(direct, FULL_STREAM);
    expect(m.reading()).toEqual(direct.reading());
  });

  it('is complete only once the final usage arrives', () => {
    const m = meter();
    m.event(messageStart({ input_tokens: 10, output_tokens: 1 }));
    expect(m.reading().complete).toBe(false);
    expect(m.reading().usage.output).toBe(1);
    m.event(ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'abc' } }));
    m.event(messageDelta({}));
    expect(m.reading().complete).toBe(false); // a message_delta without output_tokens is not final usage
    m.event(messageDelta({ output_tokens: 3 }));
    expect(m.reading().complete).toBe(true);
    expect(m.reading().usage).toMatchObject({ input: 10, output: 3 });
  });

  it('takes the last value of each usage field, never a sum', () => {
    const m = meter();
    m.event(messageStart({ input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 1 }));
    m.event(messageDelta({ output_tokens: 10 }));
    m.event(messageDelta({ input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 25 }));
    expect(m.reading().usage).toMatchObject({ input: 100, cacheRead: 50, output: 25 });
  });

  it('keeps the opening counts when message_delta reports input fields as null', () => {
    const m = meter();
    m.event(messageStart({ input_tokens: 100, cache_read_input_tokens: 50, cache_creation_input_tokens: 20, output_tokens: 1 }));
    m.event(messageDelta({ input_tokens: null, cache_read_input_tokens: null, cache_creation_input_tokens: null, output_tokens: 9 }));
    expect(m.reading().usage).toMatchObject({ input: 100, cacheRead: 50, cacheWrite5m: 20, cacheWrite1h: 0, output: 9 });
  });

  it('reads the 5-minute / 1-hour cache write breakdown', () => {
    const m = meter();
    m.event(
      messageStart({
        input_tokens: 5,
        cache_creation_input_tokens: 1000,
        cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 700 },
        output_tokens: 1,
      }),
    );
    expect(m.reading().usage).toMatchObject({ cacheWrite5m: 300, cacheWrite1h: 700 });
    // message_delta repeating only the total keeps the breakdown
    m.event(messageDelta({ cache_creation_input_tokens: 1000, output_tokens: 4 }));
    expect(m.reading().usage).toMatchObject({ cacheWrite5m: 300, cacheWrite1h: 700 });
  });

  it('prices cache writes without a breakdown at the default 5-minute TTL', () => {
    const m = meter();
    m.event(messageStart({ input_tokens: 5, cache_creation_input_tokens: 1200, output_tokens: 1 }));
    expect(m.reading().usage).toMatchObject({ cacheWrite5m: 1200, cacheWrite1h: 0 });

    // a known 1-hour share stays 1-hour when a later total without breakdown differs
    const n = meter();
    n.event(messageStart({ cache_creation_input_tokens: 1000, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1000 } }));
    n.event(messageDelta({ cache_creation_input_tokens: 1500, output_tokens: 2 }));
    expect(n.reading().usage).toMatchObject({ cacheWrite5m: 500, cacheWrite1h: 1000 });
  });

  it('counts tool_use and server_tool_use blocks as tool calls, and web searches', () => {
    const m = meter();
    feed(m, [
      messageStart({ input_tokens: 10, output_tokens: 1 }),
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: {} } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ev({ type: 'content_block_start', index: 1, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01', content: [] } }),
      ev({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01', name: 'Read', input: {} } }),
      ev({ type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_02', name: 'Edit', input: {} } }),
      messageDelta({ output_tokens: 50, server_tool_use: { web_search_requests: 1 } }, 'tool_use'),
    ]);
    expect(m.reading().toolCalls).toBe(3);
    expect(m.reading().usage.webSearches).toBe(1);
  });

  it('counts malformed events instead of throwing', () => {
    const m = meter();
    for (const data of ['not json', '[1,2]', 'null', '42', '"text"', '{"type":']) {
      expect(() => m.event(ev(data, 'content_block_delta'))).not.toThrow();
    }
    expect(m.reading().malformed).toBe(6);
    // well-formed events with unexpected shapes are not malformed, and change nothing
    m.event(ev({ type: 'message_start', message: 'oops' }));
    m.event(ev({ type: 'message_delta', usage: [1] }));
    m.event(ev({ type: 'content_block_delta', delta: null }));
    m.event(ev({ type: 'message_delta', usage: { output_tokens: -5, input_tokens: 'many' } }));
    expect(m.reading()).toMatchObject({ malformed: 6, complete: false, outputChars: 0, usage: { input: null, output: null } });
  });

  it('passes every event on and ignores pings and stream errors', () => {
    const m = meter();
    expect(m.event(ev({ type: 'ping' }))).toBe('forward');
    expect(m.event(ev('garbage', 'x'))).toBe('forward');
    m.event(ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    expect(m.reading()).toMatchObject({ malformed: 1, complete: false, toolCalls: 0 });
  });

  it('returns a copy from reading()', () => {
    const m = meter();
    m.event(messageStart({ input_tokens: 10, output_tokens: 1 }));
    const first = m.reading();
    first.usage.input = 999;
    first.toolCalls = 99;
    expect(m.reading().usage.input).toBe(10);
    expect(m.reading().toolCalls).toBe(0);
  });
});

describe('anthropic meter (JSON body)', () => {
  it('reads usage, content and tool calls of a non-streamed message', () => {
    const m = meter();
    m.json({
      id: 'msg_01',
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [
        { type: 'thinking', thinking: 'Hmm.', signature: 'sig' },
        { type: 'text', text: 'Running it.' },
        { type: 'tool_use', id: 'toolu_01', name: 'Bash', input: { command: 'ls' } },
        { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'x' } },
      ],
      stop_reason: 'tool_use',
      usage: {
        input_tokens: 321,
        cache_creation_input_tokens: 40,
        cache_read_input_tokens: 500,
        cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 30 },
        output_tokens: 77,
        server_tool_use: { web_search_requests: 2 },
      },
    });
    expect(m.reading()).toEqual({
      model: MODEL,
      usage: { input: 321, output: 77, cacheRead: 500, cacheWrite5m: 10, cacheWrite1h: 30, webSearches: 2 },
      complete: true,
      toolCalls: 2,
      outputChars: 'Hmm.'.length + 'Running it.'.length + JSON.stringify({ command: 'ls' }).length,
      malformed: 0,
    });
  });

  it('counts an unreadable body as malformed', () => {
    const m = meter();
    m.json(undefined);
    m.json([1]);
    expect(m.reading()).toMatchObject({ malformed: 2, complete: false });
  });

  it('ignores an error body: nothing billed, nothing malformed', () => {
    const m = meter();
    m.json({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(m.reading()).toMatchObject({ malformed: 0, complete: false, usage: { input: null, output: null } });
  });

  it('is not complete when the body has no output count', () => {
    const m = meter();
    m.json({ type: 'message', model: MODEL, content: [], usage: { input_tokens: 5 } });
    expect(m.reading()).toMatchObject({ complete: false, usage: { input: 5, output: null } });
  });
});

describe('anthropic.withMaxTokens', () => {
  it('lowers max_tokens and leaves everything else alone', () => {
    const body = { model: MODEL, max_tokens: 32_000, stream: true, messages: [{ role: 'user', content: 'hi' }] };
    const copy = structuredClone(body);
    expect(anthropic.withMaxTokens(body, 5000)).toEqual({ ...copy, max_tokens: 5000 });
    expect(body).toEqual(copy); // the original is not mutated
  });

  it('shrinks the thinking budget to max-1 when it no longer fits', () => {
    const body = { model: MODEL, max_tokens: 32_000, thinking: { type: 'enabled', budget_tokens: 31_999 } };
    const out = anthropic.withMaxTokens(body, 8000);
    expect(out).toEqual({ model: MODEL, max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 7999 } });
    expect(body.thinking.budget_tokens).toBe(31_999);
    // equal to the new max also has to shrink (budget must be < max_tokens)
    expect(anthropic.withMaxTokens({ max_tokens: 9000, thinking: { type: 'enabled', budget_tokens: 8000 } }, 8000).thinking).toEqual({
      type: 'enabled',
      budget_tokens: 7999,
    });
  });

  it('keeps thinking at the smallest allowed budget (1024) and disables it below', () => {
    const thinking = { type: 'enabled', budget_tokens: 31_999 };
    expect(anthropic.withMaxTokens({ max_tokens: 32_000, thinking }, 1025).thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(anthropic.withMaxTokens({ max_tokens: 32_000, thinking }, 1024).thinking).toEqual({ type: 'disabled' });
    expect(anthropic.withMaxTokens({ max_tokens: 32_000, thinking }, 300)).toEqual({ max_tokens: 300, thinking: { type: 'disabled' } });
  });

  it('leaves thinking untouched when its budget is already below the new max', () => {
    const thinking = { type: 'enabled', budget_tokens: 2000 };
    const out = anthropic.withMaxTokens({ max_tokens: 32_000, thinking }, 4000);
    expect(out.thinking).toEqual({ type: 'enabled', budget_tokens: 2000 });
    expect(anthropic.withMaxTokens({ max_tokens: 32_000, thinking: { type: 'disabled' } }, 500).thinking).toEqual({ type: 'disabled' });
  });
});

describe('anthropic.error', () => {
  const parse = (status: number) => {
    const e = anthropic.error(status, 'capped: nope');
    return { status: e.status, body: JSON.parse(e.body) as unknown };
  };

  it('writes errors in Anthropic shape with the type for each status', () => {
    expect(parse(402)).toEqual({ status: 402, body: { type: 'error', error: { type: 'billing_error', message: 'capped: nope' } } });
    expect(parse(502).body).toEqual({ type: 'error', error: { type: 'api_error', message: 'capped: nope' } });
    expect(parse(529).body).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'capped: nope' } });
    const types = Object.fromEntries([400, 401, 403, 404, 413, 429, 500].map((s) => [s, (parse(s).body as { error: { type: string } }).error.type]));
    expect(types).toEqual({
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      413: 'request_too_large',
      429: 'rate_limit_error',
      500: 'api_error',
    });
  });

  it('falls back to api_error for other 5xx and invalid_request_error for other 4xx', () => {
    expect((parse(503).body as { error: { type: string } }).error.type).toBe('api_error');
    expect((parse(418).body as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('escapes the message into valid JSON', () => {
    const message = 'quote " backslash \\ newline \n ünïcödé';
    expect(JSON.parse(anthropic.error(400, message).body)).toEqual({ type: 'error', error: { type: 'invalid_request_error', message } });
  });

  it('writes a mid-stream error as one SSE event', () => {
    const reader = new SseReader();
    const events = [...reader.push(anthropic.streamError('capped: stop')), ...reader.end()];
    expect(events).toHaveLength(1);
    expect(events[0]?.event).toBe('error');
    expect(JSON.parse(events[0]!.data)).toEqual({ type: 'error', error: { type: 'billing_error', message: 'capped: stop' } });
  });
});

describe('anthropic.classify', () => {
  it('meters POST /v1/messages (the proxy passes the path without ?beta=true)', () => {
    expect(anthropic.classify('POST', '/v1/messages')).toBe('generate');
    expect(anthropic.classify('POST', '/v1/messages/')).toBe('generate');
    const withBeta = '/v1/messages?beta=true';
    expect(anthropic.classify('POST', withBeta.split('?')[0]!)).toBe('generate');
  });

  it('meters AI-SDK paths too: a base URL ending in /v1 gets `/messages` appended (kilo, opencode)', () => {
    expect(anthropic.classify('POST', '/messages')).toBe('generate');
    expect(anthropic.classify('POST', '/anthropic/v1/messages')).toBe('generate');
    expect(anthropic.classify('POST', '/messages/count_tokens')).toBe('free');
  });

  it('lets count_tokens and every GET through unmetered', () => {
    expect(anthropic.classify('POST', '/v1/messages/count_tokens')).toBe('free');
    expect(anthropic.classify('POST', '/v1/messages/count_tokens/')).toBe('free');
    expect(anthropic.classify('GET', '/v1/models')).toBe('free');
    expect(anthropic.classify('GET', '/v1/messages')).toBe('free');
  });

  it('treats other POSTs as other', () => {
    expect(anthropic.classify('POST', '/v1/messages/batches')).toBe('other');
    expect(anthropic.classify('POST', '/v1/complete')).toBe('other');
    expect(anthropic.classify('POST', '/v1/messagesX')).toBe('other');
  });
});

describe('anthropic request inspection', () => {
  it('reads model, max_tokens and stream', () => {
    expect(anthropic.inspect({ model: MODEL, max_tokens: 32_000, stream: true }, '/v1/messages')).toEqual({
      model: MODEL,
      maxTokens: 32_000,
      stream: true,
      clampable: true,
    });
    expect(anthropic.inspect({ model: MODEL }, '/v1/messages')).toEqual({ model: MODEL, maxTokens: null, stream: false, clampable: true });
    expect(anthropic.inspect({ model: 7, max_tokens: -1, stream: 'yes' }, '/v1/messages')).toEqual({
      model: null,
      maxTokens: null,
      stream: false,
      clampable: true,
    });
    expect(anthropic.inspect(null, '/v1/messages')).toEqual({ model: null, maxTokens: null, stream: false, clampable: true });
  });

  it('describes the provider and needs no request rewrite', () => {
    expect(anthropic.id).toBe('anthropic');
    expect(anthropic.pricingId).toBe('anthropic');
    expect(anthropic.defaultUpstream).toBe('https://api.anthropic.com');
    expect(anthropic.limitStatus).toBe(402);
    expect(anthropic.defaultMaxTokens(MODEL)).toBe(64_000);
    expect(anthropic.prepare({ model: MODEL }, { model: MODEL, maxTokens: 10, stream: true, clampable: true })).toBeNull();
  });
});
