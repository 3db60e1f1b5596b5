import { describe, expect, it } from 'vitest';
import { createPriceBook } from '../../../../src/pricing/price-book.js';
import type { BillableUsage } from '../../../../src/pricing/price-book.js';
import { MIN_MAX_OUTPUT_TOKENS, openaiResponses, createFrame, createRequest, websocketError } from '../../../../src/proxy/providers/openai-responses.js';
import { tryParse } from '../../../../src/proxy/providers/json.js';
import type { EventVerdict, Meter, MeterReading } from '../../../../src/proxy/providers/types.js';
import { SseReader, type SseEvent } from '../../../../src/proxy/sse-reader.js';

type Event = { type: string } & Record<string, unknown>;

/** Raw SSE text as the API sends it: `event: <type>` then `data: <json with the same type>`. */
function sse(events: Event[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

/** Feeds raw SSE bytes through SseReader in small uneven chunks, then the events through a meter. */
function meterSse(
  raw: string,
  meter: Meter = openaiResponses.createMeter({ injectedUsage: false }),
): { meter: Meter; events: SseEvent[]; verdicts: EventVerdict[] } {
  const reader = new SseReader();
  const bytes = Buffer.from(raw, 'utf8');
  const events: SseEvent[] = [];
  let at = 0;
  let size = 1;
  while (at < bytes.length) {
    events.push(...reader.push(bytes.subarray(at, at + size)));
    at += size;
    size = (size % 13) + 5;
  }
  events.push(...reader.end());
  const verdicts = events.map((e) => meter.event(e));
  return { meter, events, verdicts };
}

function meterFrames(frames: string[]): Meter {
  const meter = openaiResponses.createMeter({ injectedUsage: false });
  for (const frame of frames) meter.message!(frame);
  return meter;
}

const MODEL = 'gpt-5-2025-08-07';

function responseObject(status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'resp_1', object: 'response', created_at: 1_760_000_000, status, model: MODEL, output: [], usage: null, ...extra };
}

function usage(input: number, cached: number, output: number, reasoning = 0): Record<string, unknown> {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output,
  };
}

const TEXT_DELTAS = ['Hello', ', world', '! Here is the plan.'];

/** A plain text answer, as the API streams it. */
function textStream(): Event[] {
  const message = { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
  const done = {
    ...message,
    status: 'completed',
    content: [{ type: 'output_text', text: TEXT_DELTAS.join(''), annotations: [] }],
  };
  return [
    { type: 'response.created', sequence_number: 0, response: responseObject('in_progress') },
    { type: 'response.in_progress', sequence_number: 1, response: responseObject('in_progress') },
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: message },
    {
      type: 'response.content_part.added',
      sequence_number: 3,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    },
    ...TEXT_DELTAS.map((delta, i) => ({
      type: 'response.output_text.delta',
      sequence_number: 4 + i,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      delta,
    })),
    { type: 'response.output_text.done', sequence_number: 7, item_id: 'msg_1', output_index: 0, content_index: 0, text: TEXT_DELTAS.join('') },
    { type: 'response.output_item.done', sequence_number: 8, output_index: 0, item: done },
    { type: 'response.completed', sequence_number: 9, response: responseObject('completed', { output: [done], usage: usage(1200, 1000, 300, 200) }) },
  ];
}

const REASONING = ['**Planning**', ' I should read the file first.'];
const ARGS_A = ['{"command":', '["cat","src/main.ts"]', '}'];
const ARGS_B = ['{"command":["ls"]}'];
const PATCH = ['*** Begin Patch\n', '*** Update File: a.ts\n', '*** End Patch'];

/** Reasoning, then two function calls and a custom tool call, as Codex receives them. */
function toolStream(terminal: 'response.completed' | 'response.incomplete' = 'response.completed'): Event[] {
  const reasoning = { id: 'rs_1', type: 'reasoning', summary: [] };
  const fnA = { id: 'fc_1', type: 'function_call', status: 'in_progress', call_id: 'call_a', name: 'shell', arguments: '' };
  const fnB = { id: 'fc_2', type: 'function_call', status: 'in_progress', call_id: 'call_b', name: 'shell', arguments: '' };
  const patch = { id: 'ctc_1', type: 'custom_tool_call', status: 'in_progress', call_id: 'call_c', name: 'apply_patch', input: '' };
  const doneA = { ...fnA, status: 'completed', arguments: ARGS_A.join('') };
  const doneB = { ...fnB, status: 'completed', arguments: ARGS_B.join('') };
  const donePatch = { ...patch, status: 'completed', input: PATCH.join('') };
  const doneReasoning = { ...reasoning, summary: [{ type: 'summary_text', text: REASONING.join('') }] };
  const terminalResponse =
    terminal === 'response.completed'
      ? responseObject('completed', { output: [doneReasoning, doneA, doneB, donePatch], usage: usage(5000, 4096, 900, 640) })
      : responseObject('incomplete', {
          incomplete_details: { reason: 'max_output_tokens' },
          output: [doneReasoning, doneA, doneB, donePatch],
          usage: usage(5000, 4096, 900, 640),
        });
  return [
    { type: 'response.created', sequence_number: 0, response: responseObject('in_progress') },
    { type: 'response.output_item.added', output_index: 0, item: reasoning },
    { type: 'response.reasoning_summary_part.added', item_id: 'rs_1', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } },
    ...REASONING.map((delta) => ({ type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, summary_index: 0, delta })),
    { type: 'response.output_item.done', output_index: 0, item: doneReasoning },
    { type: 'response.output_item.added', output_index: 1, item: fnA },
    ...ARGS_A.map((delta) => ({ type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 1, delta })),
    { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 1, arguments: ARGS_A.join('') },
    { type: 'response.output_item.done', output_index: 1, item: doneA },
    { type: 'response.output_item.added', output_index: 2, item: fnB },
    ...ARGS_B.map((delta) => ({ type: 'response.function_call_arguments.delta', item_id: 'fc_2', output_index: 2, delta })),
    { type: 'response.output_item.done', output_index: 2, item: doneB },
    { type: 'response.output_item.added', output_index: 3, item: patch },
    ...PATCH.map((delta) => ({ type: 'response.custom_tool_call_input.delta', item_id: 'ctc_1', output_index: 3, delta })),
    { type: 'response.output_item.done', output_index: 3, item: donePatch },
    { type: terminal, response: terminalResponse },
  ];
}

const chars = (parts: string[]): number => parts.join('').length;

describe('openaiResponses identity', () => {
  it('is mounted as openai-responses, priced as openai, upstream includes /v1', () => {
    expect(openaiResponses.id).toBe('openai-responses');
    expect(openaiResponses.pricingId).toBe('openai');
    expect(openaiResponses.defaultUpstream).toBe('https://api.openai.com/v1');
  });
});

describe('classify', () => {
  it('meters POST …/responses and lets reads through', () => {
    expect(openaiResponses.classify('POST', '/responses')).toBe('generate');
    expect(openaiResponses.classify('POST', '/v1/responses')).toBe('generate');
    expect(openaiResponses.classify('POST', '/responses/')).toBe('generate');
    // The WebSocket upgrade is routed separately by the proxy.
    expect(openaiResponses.classify('GET', '/responses')).toBe('free');
    expect(openaiResponses.classify('GET', '/responses/resp_1')).toBe('free');
    expect(openaiResponses.classify('GET', '/models')).toBe('free');
    expect(openaiResponses.classify('DELETE', '/responses/resp_1')).toBe('free');
    expect(openaiResponses.classify('POST', '/responses/input_tokens')).toBe('free');
  });

  it('marks other POSTs as other', () => {
    expect(openaiResponses.classify('POST', '/responses/resp_1/cancel')).toBe('other');
    expect(openaiResponses.classify('POST', '/chat/completions')).toBe('other');
    expect(openaiResponses.classify('POST', '/files')).toBe('other');
  });
});

describe('inspect / prepare / withMaxTokens / defaultMaxTokens', () => {
  it('reads model, max_output_tokens and stream', () => {
    expect(openaiResponses.inspect({ model: 'gpt-5-codex', max_output_tokens: 4096, stream: true, input: [] }, '/responses')).toEqual({
      model: 'gpt-5-codex',
      maxTokens: 4096,
      stream: true,
      clampable: true,
    });
    // Codex sends no max_output_tokens; stream must be literally true.
    expect(openaiResponses.inspect({ model: 'gpt-5', stream: 'yes' }, '/responses')).toEqual({
      model: 'gpt-5',
      maxTokens: null,
      stream: false,
      clampable: true,
    });
    expect(openaiResponses.inspect('not an object', '/responses')).toEqual({ model: null, maxTokens: null, stream: false, clampable: true });
    expect(openaiResponses.inspect({ model: 7, max_output_tokens: -1 }, '/responses')).toEqual({
      model: null,
      maxTokens: null,
      stream: false,
      clampable: true,
    });
  });

  it('needs no request rewrite to meter', () => {
    expect(openaiResponses.prepare({ model: 'gpt-5', stream: true }, { model: 'gpt-5', maxTokens: null, stream: true, clampable: true })).toBeNull();
  });

  it('sets max_output_tokens without touching the rest or the original', () => {
    const body = { model: 'gpt-5', input: [{ role: 'user', content: 'hi' }], max_output_tokens: 128_000, stream: true };
    const next = openaiResponses.withMaxTokens(body, 3000);
    expect(next).toEqual({ ...body, max_output_tokens: 3000 });
    expect(body.max_output_tokens).toBe(128_000);
    expect(openaiResponses.withMaxTokens({ model: 'gpt-5' }, 1234.9)).toEqual({ model: 'gpt-5', max_output_tokens: 1234 });
  });

  it('never writes a max_output_tokens below the API minimum of 16', () => {
    expect(MIN_MAX_OUTPUT_TOKENS).toBe(16);
    expect(openaiResponses.withMaxTokens({ model: 'gpt-5' }, 5).max_output_tokens).toBe(16);
    expect(openaiResponses.withMaxTokens({ model: 'gpt-5' }, 0).max_output_tokens).toBe(16);
    expect(openaiResponses.withMaxTokens({ model: 'gpt-5' }, 16).max_output_tokens).toBe(16);
    expect(openaiResponses.withMaxTokens({ model: 'gpt-5' }, 17).max_output_tokens).toBe(17);
  });

  it('reserves each family its maximum output', () => {
    const cases: [string, number][] = [
      ['gpt-5', 128_000],
      ['gpt-5-codex', 128_000],
      ['gpt-5.1-codex-max', 128_000],
      ['gpt-5-mini', 128_000],
      ['gpt-5-pro', 272_000],
      ['gpt-5-chat-latest', 16_384],
      ['gpt-5.1-chat-latest', 16_384],
      ['codex-mini-latest', 128_000],
      ['o3', 100_000],
      ['o4-mini', 100_000],
      ['gpt-4.1', 32_768],
      ['gpt-4.1-mini', 32_768],
      ['gpt-4o', 16_384],
      ['gpt-4o-mini-2024-07-18', 16_384],
      ['openai/gpt-4.1', 32_768],
      ['some-future-model', 128_000],
    ];
    for (const [model, max] of cases) expect(openaiResponses.defaultMaxTokens(model), model).toBe(max);
  });
});

describe('meter: SSE', () => {
  it('reads a streamed text answer: normalised usage, model, streamed characters', () => {
    const { meter, events, verdicts } = meterSse(sse(textStream()));
    expect(events.length).toBe(textStream().length);
    expect(verdicts.every((v) => v === 'forward')).toBe(true);
    const r = meter.reading();
    expect(r.model).toBe(MODEL);
    // input_tokens 1200 INCLUDES the 1000 cached; output 300 already includes 200 reasoning.
    expect(r.usage).toEqual({ input: 200, output: 300, cacheRead: 1000, cacheWrite5m: null, cacheWrite1h: null, webSearches: null });
    expect(r.complete).toBe(true);
    expect(r.toolCalls).toBe(0);
    expect(r.outputChars).toBe(chars(TEXT_DELTAS));
    expect(r.malformed).toBe(0);
  });

  it('counts each tool call once across added, done and the completed snapshot', () => {
    const { meter } = meterSse(sse(toolStream()));
    const r = meter.reading();
    expect(r.toolCalls).toBe(3);
    expect(r.outputChars).toBe(chars(REASONING) + chars(ARGS_A) + chars(ARGS_B) + chars(PATCH));
    expect(r.usage.input).toBe(5000 - 4096);
    expect(r.usage.cacheRead).toBe(4096);
    expect(r.usage.output).toBe(900);
    expect(r.complete).toBe(true);
  });

  it('counts tool calls seen only on output_item.done, and in the snapshot only', () => {
    const fn = (id: string) => ({ id, type: 'function_call', call_id: `call_${id}`, name: 'shell', arguments: '{}' });
    const { meter } = meterSse(
      sse([
        { type: 'response.output_item.done', output_index: 0, item: fn('fc_a') },
        { type: 'response.completed', response: responseObject('completed', { output: [fn('fc_a'), fn('fc_b')], usage: usage(10, 0, 5) }) },
      ]),
    );
    expect(meter.reading().toolCalls).toBe(2);
  });

  it('counts server tools, and web searches separately for their per-call price', () => {
    const search = (id: string) => ({ id, type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'vitest' } });
    const { meter } = meterSse(
      sse([
        { type: 'response.created', response: responseObject('in_progress') },
        { type: 'response.output_item.added', output_index: 0, item: { ...search('ws_1'), status: 'in_progress' } },
        { type: 'response.web_search_call.in_progress', output_index: 0, item_id: 'ws_1' },
        { type: 'response.output_item.done', output_index: 0, item: search('ws_1') },
        { type: 'response.output_item.added', output_index: 1, item: search('ws_2') },
        { type: 'response.output_item.added', output_index: 2, item: { id: 'ci_1', type: 'code_interpreter_call', code: '' } },
        { type: 'response.code_interpreter_call_code.delta', output_index: 2, item_id: 'ci_1', delta: 'print(1)' },
        { type: 'response.output_item.added', output_index: 3, item: { id: 'mcp_1', type: 'mcp_list_tools', tools: [] } },
        { type: 'response.output_item.added', output_index: 4, item: { id: 'fs_1', type: 'file_search_call', queries: ['x'] } },
        { type: 'response.completed', response: responseObject('completed', { usage: usage(100, 0, 50) }) },
      ]),
    );
    const r = meter.reading();
    expect(r.toolCalls).toBe(4); // two searches, code interpreter, file search; the tool listing is not a call
    expect(r.usage.webSearches).toBe(2);
    expect(r.outputChars).toBe('print(1)'.length);
  });

  it('reads usage from response.incomplete (billed like completed)', () => {
    const { meter } = meterSse(sse(toolStream('response.incomplete')));
    const r = meter.reading();
    expect(r.complete).toBe(true);
    expect(r.usage).toMatchObject({ input: 904, cacheRead: 4096, output: 900 });
    expect(r.toolCalls).toBe(3);
  });

  it('reads usage from response.failed when it has some, and stays incomplete when it has none', () => {
    const failedWithUsage = meterSse(
      sse([
        { type: 'response.created', response: responseObject('in_progress') },
        { type: 'response.output_text.delta', output_index: 0, content_index: 0, item_id: 'msg_1', delta: 'partial' },
        { type: 'response.failed', response: responseObject('failed', { error: { code: 'server_error', message: 'boom' }, usage: usage(800, 0, 12) }) },
      ]),
    ).meter.reading();
    expect(failedWithUsage.complete).toBe(true);
    expect(failedWithUsage.usage).toMatchObject({ input: 800, cacheRead: 0, output: 12 });

    const failedBare = meterSse(
      sse([
        { type: 'response.created', response: responseObject('in_progress', { model: 'gpt-5.1-codex' }) },
        {
          type: 'response.failed',
          response: responseObject('failed', { model: 'gpt-5.1-codex', error: { code: 'rate_limit_exceeded', message: 'slow down' }, usage: null }),
        },
      ]),
    ).meter.reading();
    expect(failedBare.complete).toBe(false);
    expect(failedBare.model).toBe('gpt-5.1-codex');
    expect(failedBare.usage.input).toBeNull();
    expect(failedBare.usage.output).toBeNull();
  });

  it('leaves a stream cut before its terminal event incomplete, with what streamed as the estimate basis', () => {
    const cut = textStream().slice(0, -2);
    const r = meterSse(sse(cut)).meter.reading();
    expect(r.complete).toBe(false);
    expect(r.usage.output).toBeNull();
    expect(r.outputChars).toBe(chars(TEXT_DELTAS));
    expect(r.model).toBe(MODEL);
  });

  it('ignores opening usage that is not final: response.created never completes the reading', () => {
    const r = meterSse(sse([{ type: 'response.created', response: responseObject('in_progress', { usage: usage(10, 0, 0) }) }])).meter.reading();
    expect(r.complete).toBe(false);
    expect(r.usage.output).toBeNull();
  });

  it('caps cached tokens at the input count instead of going negative', () => {
    const r = meterSse(sse([{ type: 'response.completed', response: responseObject('completed', { usage: usage(100, 150, 3) }) }])).meter.reading();
    expect(r.usage.input).toBe(0);
    expect(r.usage.cacheRead).toBe(100);
  });

  it('treats missing input_tokens_details as nothing cached', () => {
    const r = meterSse(
      sse([{ type: 'response.completed', response: responseObject('completed', { usage: { input_tokens: 70, output_tokens: 9, total_tokens: 79 } }) }]),
    ).meter.reading();
    expect(r.usage).toMatchObject({ input: 70, cacheRead: 0, output: 9 });
  });

  it('counts unreadable events as malformed, never throws, and forwards everything', () => {
    const raw =
      'event: response.output_text.delta\ndata: {not json\n\n' +
      'data: [DONE]\n\n' +
      'data: 42\n\n' +
      'data: {"no":"type"}\n\n' +
      sse([{ type: 'response.completed', response: responseObject('completed', { usage: usage(10, 0, 2) }) }]);
    const { meter, verdicts } = meterSse(raw);
    expect(verdicts).toEqual(['forward', 'forward', 'forward', 'forward', 'forward']);
    const r = meter.reading();
    expect(r.malformed).toBe(3);
    expect(r.complete).toBe(true);
  });

  it('uses the SSE event name when the data has no type', () => {
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    meter.event({ event: 'response.output_text.delta', data: JSON.stringify({ delta: 'abc' }) });
    expect(meter.reading().outputChars).toBe(3);
    expect(meter.reading().malformed).toBe(0);
  });

  it('ignores an API error event mid-stream without calling it malformed', () => {
    const r = meterSse(sse([{ type: 'error', code: 'server_error', message: 'oops', param: null }])).meter.reading();
    expect(r.malformed).toBe(0);
    expect(r.complete).toBe(false);
  });

  it('returns a copy: later events do not change an earlier reading', () => {
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    const before: MeterReading = meter.reading();
    meterSse(sse(textStream()), meter);
    expect(before.usage.output).toBeNull();
    expect(meter.reading().usage.output).toBe(300);
  });
});

describe('meter: JSON body', () => {
  const body = {
    ...responseObject('completed'),
    output: [
      { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Think.' }] },
      { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Done here.', annotations: [] }] },
      { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'shell', arguments: '{"command":["ls"]}', status: 'completed' },
      { id: 'ws_1', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'x' } },
    ],
    usage: usage(2000, 1536, 250, 100),
  };

  it('reads a Response object like a completed stream', () => {
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    meter.json(body);
    const r = meter.reading();
    expect(r.model).toBe(MODEL);
    expect(r.usage).toEqual({ input: 464, output: 250, cacheRead: 1536, cacheWrite5m: null, cacheWrite1h: null, webSearches: 1 });
    expect(r.complete).toBe(true);
    expect(r.toolCalls).toBe(2);
    expect(r.outputChars).toBe('Think.'.length + 'Done here.'.length + '{"command":["ls"]}'.length);
    expect(r.malformed).toBe(0);
  });

  it('reads nothing billable from an error body, and counts a non-object as malformed', () => {
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    meter.json({ error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } });
    expect(meter.reading().complete).toBe(false);
    expect(meter.reading().malformed).toBe(0);
    meter.json('<html>502</html>');
    meter.json([1, 2]);
    expect(meter.reading().malformed).toBe(2);
  });
});

describe('meter: WebSocket frames', () => {
  it('reads frames exactly as it reads the same events over SSE', () => {
    const frames = toolStream().map((e) => JSON.stringify(e));
    const viaWs = meterFrames(frames).reading();
    const viaSse = meterSse(sse(toolStream())).meter.reading();
    expect(viaWs).toEqual(viaSse);
    expect(viaWs.toolCalls).toBe(3);
    expect(viaWs.complete).toBe(true);
  });

  it('counts an unreadable frame and ignores error frames', () => {
    const r = meterFrames([
      '{"type":',
      websocketError('x'),
      JSON.stringify({ type: 'response.completed', response: responseObject('completed', { usage: usage(9, 0, 1) }) }),
    ]).reading();
    expect(r.malformed).toBe(1);
    expect(r.complete).toBe(true);
    expect(r.usage.output).toBe(1);
  });
});

describe('WebSocket support on the provider', () => {
  it('exposes the WebSocket helpers through provider.websocket', () => {
    const ws = openaiResponses.websocket!;
    const create = JSON.stringify({ type: 'response.create', model: 'gpt-5' });
    expect(ws.createRequest(JSON.parse(create))).toEqual({ kind: 'create', body: { model: 'gpt-5' } });
    expect(ws.createRequest(undefined)).toEqual({ kind: 'other' });
    expect(ws.frameWith({ model: 'gpt-4.1' })).toEqual(createFrame({ model: 'gpt-4.1' }));
    expect(ws.errorMessage('m')).toBe(websocketError('m'));
    expect(ws.isTerminal('response.completed')).toBe(true);
    expect(ws.isTerminal('response.created')).toBe(false);
  });

  it('ends a response on completed, incomplete, failed and error frames only (by the type the meter read)', () => {
    const ws = openaiResponses.websocket!;
    const ends = (text: string): boolean => ws.isTerminal(openaiResponses.createMeter({ injectedUsage: false }).message!(text));
    const frame = (type: string) => JSON.stringify({ type, response: responseObject('completed') });
    expect(ends(frame('response.completed'))).toBe(true);
    expect(ends(frame('response.incomplete'))).toBe(true);
    expect(ends(frame('response.failed'))).toBe(true);
    expect(ends(JSON.stringify({ type: 'error', status: 429, error: { type: 'usage_limit_reached', message: 'x' } }))).toBe(true);
    expect(ends(frame('response.created'))).toBe(false);
    expect(ends(frame('response.in_progress'))).toBe(false);
    expect(ends(JSON.stringify({ type: 'response.output_text.delta', delta: 'response.completed' }))).toBe(false);
    expect(ends(JSON.stringify({ type: 'codex.rate_limits' }))).toBe(false);
    // JSON.parse keeps the last `type`, as the agent does.
    expect(ends('{"type":"response.in_progress","type":"response.completed","response":{"usage":{"input_tokens":1,"output_tokens":1}}}')).toBe(true);
    expect(ends('not json')).toBe(false);
    expect(ws.isTerminal(null)).toBe(false);
  });

  it('lets a first message lead only when its bytes can hold no tool call', () => {
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    const leads = (text: string): boolean => {
      const raw = Buffer.from(text);
      return meter.lead!(raw) === raw;
    };
    // A real response.created echoes the request's tools and settings: none of them is a call.
    const created = {
      type: 'response.created',
      response: {
        ...responseObject('in_progress'),
        parallel_tool_calls: true,
        tool_choice: 'auto',
        tools: [{ type: 'function', name: 'shell' }],
        text: { format: { type: 'text' } },
      },
    };
    expect(leads(JSON.stringify(created))).toBe(true);
    const call = { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'shell', arguments: '{}' };
    expect(leads(JSON.stringify({ type: 'response.output_item.added', output_index: 0, item: call }))).toBe(false);
    for (const type of ['custom_tool_call', 'local_shell_call', 'web_search_call', 'mcp_call']) {
      expect(leads(JSON.stringify({ type: 'response.created', response: { ...responseObject('in_progress'), output: [{ ...call, type }] } })), type).toBe(
        false,
      );
    }
    // A later `type` spelled with an escape could make it a call: any escape keeps it back.
    expect(leads('{"type":"response.created","t\\u0079pe":"response.output_item.added","item":{"type":"function\\u005fcall"}}')).toBe(false);
    expect(leads(JSON.stringify(created).replace('shell', 'sh\\u0065ll'))).toBe(false);
  });
});

describe('WebSocket client messages', () => {
  // Shape of codex-rs ResponsesWsRequest::ResponseCreate: the request fields sit beside `type`.
  const create = {
    type: 'response.create',
    model: 'gpt-5.1-codex',
    instructions: 'You are Codex.',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the bug' }] }],
    tools: [],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'thread-1',
  };

  it('reserves nothing for a warm-up and cannot clamp compaction', () => {
    expect(openaiResponses.inspect({ model: 'gpt-5', generate: false }, '/responses').maxTokens).toBe(0);
    expect(openaiResponses.inspect({ model: 'gpt-5' }, '/responses/compact').clampable).toBe(false);
    expect(openaiResponses.classify('POST', '/responses/compact')).toBe('generate');
  });

  it('recognises response.create and returns the request body without its type', () => {
    const msg = createRequest(tryParse(JSON.stringify(create)));
    expect(msg.kind).toBe('create');
    if (msg.kind !== 'create') return;
    expect(msg.body.type).toBeUndefined();
    expect(msg.body.model).toBe('gpt-5.1-codex');
    expect(msg.body.input).toEqual(create.input);
    expect(openaiResponses.inspect(msg.body, '/responses')).toEqual({ model: 'gpt-5.1-codex', maxTokens: null, stream: true, clampable: true });
  });

  it('calls everything else other', () => {
    expect(createRequest(tryParse(JSON.stringify({ type: 'response.processed', response_id: 'resp_1' })))).toEqual({ kind: 'other' });
    expect(createRequest(tryParse('not json'))).toEqual({ kind: 'other' });
    expect(createRequest(tryParse('[{"type":"response.create"}]'))).toEqual({ kind: 'other' });
    expect(createRequest(tryParse(JSON.stringify({ model: 'gpt-5' })))).toEqual({ kind: 'other' });
  });

  it('carries the proxy’s version of the request in the same top-level shape', () => {
    const msg = createRequest(tryParse(JSON.stringify(create)));
    if (msg.kind !== 'create') throw new Error('expected create');
    const text = JSON.stringify(createFrame(openaiResponses.withMaxTokens(msg.body, 4000)));
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(parsed)[0]).toBe('type');
    expect(parsed).toEqual({ ...create, max_output_tokens: 4000 });
    expect(openaiResponses.withMaxTokens({ ...msg.body, max_output_tokens: 90_000 }, 3).max_output_tokens).toBe(16);
  });

  it('makes a frame only of a request: what it reads back is that request', () => {
    // Other frames are never rebuilt: the proxy passes them on byte for byte (websocket.test.ts).
    const body = { model: 'gpt-5', input: 'hi', max_output_tokens: 7 };
    expect(createRequest(createFrame(body))).toEqual({ kind: 'create', body });
  });
});

describe('errors', () => {
  const parse = (body: string) => JSON.parse(body) as { error: Record<string, unknown> };

  it('uses OpenAI error bodies: insufficient_quota for 402', () => {
    const e = openaiResponses.error(402, 'capped: run budget of $1.50 reached; raise it with --max-usd');
    expect(e.status).toBe(402);
    expect(parse(e.body)).toEqual({
      error: { message: 'capped: run budget of $1.50 reached; raise it with --max-usd', type: 'insufficient_quota', param: null, code: 'insufficient_quota' },
    });
  });

  it('maps 400 to invalid_request_error and 5xx to api_error', () => {
    expect(parse(openaiResponses.error(400, 'no').body).error).toEqual({ message: 'no', type: 'invalid_request_error', param: null, code: null });
    expect(parse(openaiResponses.error(502, 'upstream down').body).error).toEqual({ message: 'upstream down', type: 'api_error', param: null, code: null });
    expect(parse(openaiResponses.error(503, 'x').body).error.type).toBe('api_error');
    expect(parse(openaiResponses.error(418, 'x').body).error.type).toBe('invalid_request_error');
    expect(openaiResponses.error(413, 'too big').status).toBe(413);
  });

  it('writes a stream refusal as a terminal response.failed that Codex shows (not insufficient_quota)', () => {
    const text = openaiResponses.streamError('capped: budget reached');
    expect(text.endsWith('\n\n')).toBe(true);
    const reader = new SseReader();
    const events = [...reader.push(text), ...reader.end()];
    expect(events).toHaveLength(1);
    expect(events[0]!.event).toBe('response.failed');
    const data = JSON.parse(events[0]!.data) as { type: string; response: Record<string, unknown> };
    expect(data.type).toBe('response.failed');
    expect(data.response.status).toBe('failed');
    expect(data.response.object).toBe('response');
    expect(data.response.error).toEqual({ code: 'invalid_request_error', message: 'capped: budget reached' });
    expect(data.response.usage).toBeNull();
    // The proxy's own failure event is not usage: a meter reading it stays incomplete.
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    for (const e of events) meter.event(e);
    expect(meter.reading().complete).toBe(false);
    expect(meter.reading().malformed).toBe(0);
  });

  it('writes a WebSocket refusal as an error frame with a non-retryable status', () => {
    const frame = JSON.parse(websocketError('capped: budget reached')) as Record<string, unknown>;
    expect(frame).toEqual({
      type: 'error',
      status: 400,
      error: { type: 'invalid_request_error', code: null, message: 'capped: budget reached', param: null },
    });
  });
});

describe('price', () => {
  it('prices a metered gpt-5 response at $1.25 in, $0.125 cached, $10 out per million', () => {
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    meter.json({ ...responseObject('completed', { model: 'gpt-5' }), usage: usage(1_200_000, 1_000_000, 100_000, 40_000) });
    const u = meter.reading().usage;
    const billable: BillableUsage = {
      input: u.input ?? 0,
      output: u.output ?? 0,
      cacheRead: u.cacheRead ?? 0,
      cacheWrite5m: u.cacheWrite5m ?? 0,
      cacheWrite1h: u.cacheWrite1h ?? 0,
      webSearches: u.webSearches ?? 0,
    };
    expect(billable).toEqual({ input: 200_000, output: 100_000, cacheRead: 1_000_000, cacheWrite5m: 0, cacheWrite1h: 0, webSearches: 0 });
    // 200k × $1.25/M + 1M × $0.125/M + 100k × $10/M = $0.25 + $0.125 + $1.00 = $1.375
    expect(createPriceBook().cost('openai', 'gpt-5', billable)).toBe(1_375_000_000);
  });
});
