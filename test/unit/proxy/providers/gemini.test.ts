import { describe, expect, it } from 'vitest';
import { createPriceBook } from '../../../../src/pricing/price-book.js';
import { gemini } from '../../../../src/proxy/providers/gemini.js';
import type { Meter, MeterReading } from '../../../../src/proxy/providers/types.js';
import { SseReader, type SseEvent } from '../../../../src/proxy/sse-reader.js';

const MODEL = 'gemini-2.5-flash';
const meter = (): Meter => gemini.createMeter({ injectedUsage: false });
const ev = (data: unknown): SseEvent => ({ event: null, data: typeof data === 'string' ? data : JSON.stringify(data) });

function feed(m: Meter, events: SseEvent[]): void {
  for (const e of events) expect(m.event(e)).toBe('forward');
}

/** Reads raw SSE text through the reader in awkward slices, as bytes arrive from the network. */
function readRaw(text: string, slice = 7): MeterReading {
  const m = meter();
  const reader = new SseReader();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += slice) feed(m, reader.push(bytes.subarray(i, i + slice)));
  feed(m, reader.end());
  return m.reading();
}

const THOUGHT = '**Planning the listing**\nI should list the files in the workspace first.';
const TEXT = "I'll list the files, then read the README.";

/**
 * A streamed turn as Gemini 2.5 sends it (includeThoughts, two function calls): every chunk
 * carries a usageMetadata snapshot that grows; only the last chunk has a finishReason.
 * promptTokenCount (12000) includes the 8000 cached tokens.
 */
const CHUNKS: unknown[] = [
  {
    candidates: [{ content: { parts: [{ text: THOUGHT, thought: true }], role: 'model' }, index: 0 }],
    usageMetadata: {
      promptTokenCount: 12_000,
      cachedContentTokenCount: 8000,
      totalTokenCount: 12_040,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 12_000 }],
      cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 8000 }],
      thoughtsTokenCount: 40,
    },
    modelVersion: MODEL,
    responseId: 'resp-1',
  },
  {
    candidates: [{ content: { parts: [{ text: TEXT }], role: 'model' }, index: 0 }],
    usageMetadata: { promptTokenCount: 12_000, cachedContentTokenCount: 8000, candidatesTokenCount: 6, totalTokenCount: 12_046, thoughtsTokenCount: 40 },
    modelVersion: MODEL,
    responseId: 'resp-1',
  },
  {
    candidates: [
      {
        content: {
          parts: [
            { functionCall: { name: 'list_directory', args: { path: '/work' } }, thoughtSignature: 'c2lnbmF0dXJl' },
            { functionCall: { name: 'read_file', args: { absolute_path: '/work/README.md' } } },
          ],
          role: 'model',
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 12_000, cachedContentTokenCount: 8000, candidatesTokenCount: 31, totalTokenCount: 12_071, thoughtsTokenCount: 40 },
    modelVersion: MODEL,
    responseId: 'resp-1',
  },
];

const sse = (chunks: unknown[], eol = '\r\n'): string => chunks.map((c) => `data: ${JSON.stringify(c)}${eol}${eol}`).join('');

const FULL_READING: MeterReading = {
  model: MODEL,
  // input = 12000 prompt - 8000 cached; output = 31 candidates + 40 thoughts, from the LAST snapshot
  usage: { input: 4000, output: 71, cacheRead: 8000, cacheWrite5m: 0, cacheWrite1h: 0, webSearches: null },
  complete: true,
  toolCalls: 2,
  // thought 72 + text 42 + {"path":"/work"} 16 + {"absolute_path":"/work/README.md"} 35
  outputChars: 72 + 42 + 16 + 35,
  malformed: 0,
};

describe('gemini meter (SSE)', () => {
  it('reads a realistic stream from raw bytes: last usage snapshot, cache split out, thoughts as output', () => {
    expect(readRaw(sse(CHUNKS))).toEqual(FULL_READING);
  });

  it('reads the same with LF line ends and any slicing', () => {
    expect(readRaw(sse(CHUNKS, '\n'), 1)).toEqual(FULL_READING);
    expect(readRaw(sse(CHUNKS, '\n'), 1000)).toEqual(FULL_READING);
  });

  it('is not complete before the finishing chunk, and keeps the latest snapshot so far', () => {
    expect(readRaw(sse(CHUNKS.slice(0, 2)))).toEqual({
      ...FULL_READING,
      usage: { ...FULL_READING.usage, output: 46 },
      complete: false,
      toolCalls: 0,
      outputChars: 72 + 42,
    });
    const first = readRaw(sse(CHUNKS.slice(0, 1)));
    expect(first.usage.output).toBe(40);
    expect(first.complete).toBe(false);
  });

  it('completes when the usage arrives in a chunk after the finishReason', () => {
    const m = meter();
    feed(m, [ev({ candidates: [{ content: { parts: [{ text: 'Done.' }], role: 'model' }, finishReason: 'STOP', index: 0 }], modelVersion: MODEL })]);
    expect(m.reading().complete).toBe(false);
    feed(m, [ev({ usageMetadata: { promptTokenCount: 900, candidatesTokenCount: 2, totalTokenCount: 902 }, modelVersion: MODEL })]);
    expect(m.reading()).toMatchObject({ complete: true, usage: { input: 900, output: 2, cacheRead: 0 } });
  });

  it('counts omitted (zero) counts as 0 in a final snapshot: a turn spent entirely on thinking', () => {
    const m = meter();
    feed(m, [
      ev({
        candidates: [{ content: { role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 }],
        usageMetadata: { promptTokenCount: 500, totalTokenCount: 1524, thoughtsTokenCount: 1024 },
        modelVersion: 'gemini-2.5-pro',
      }),
    ]);
    expect(m.reading()).toMatchObject({ model: 'gemini-2.5-pro', complete: true, usage: { input: 500, output: 1024, cacheRead: 0 } });
  });

  it('treats a blocked prompt as a finished response with no output', () => {
    const m = meter();
    feed(m, [ev({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 50, totalTokenCount: 50 }, modelVersion: MODEL })]);
    expect(m.reading()).toMatchObject({ complete: true, usage: { input: 50, output: 0 }, toolCalls: 0 });
  });

  it('adds tool-use prompt tokens to input and keeps cached tokens out of it', () => {
    const m = meter();
    feed(m, [
      ev({
        candidates: [{ content: { parts: [{ text: 'Grounded answer.' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 1000, cachedContentTokenCount: 600, toolUsePromptTokenCount: 300, candidatesTokenCount: 20, totalTokenCount: 1320 },
        modelVersion: MODEL,
      }),
    ]);
    expect(m.reading().usage).toEqual({ input: 400 + 300, output: 20, cacheRead: 600, cacheWrite5m: 0, cacheWrite1h: 0, webSearches: null });
  });

  it('counts a call whose arguments stream in pieces (willContinue) once', () => {
    const m = meter();
    const chunk = (functionCall: unknown, extra: Record<string, unknown> = {}) =>
      ev({ candidates: [{ content: { parts: [{ functionCall }], role: 'model' }, index: 0, ...extra }], modelVersion: MODEL });
    feed(m, [
      chunk({ name: 'write_file', partialArgs: [{ jsonPath: '$.content', stringValue: 'hello ', willContinue: true }], willContinue: true }),
      chunk({ partialArgs: [{ jsonPath: '$.content', stringValue: 'world' }], willContinue: true }),
      chunk({}),
    ]);
    expect(m.reading().toolCalls).toBe(1);
    feed(m, [chunk({ name: 'run_shell_command', args: {} }, { finishReason: 'STOP' })]);
    expect(m.reading()).toMatchObject({ toolCalls: 2, outputChars: 6 + 5 + 2 });
  });

  it('takes the model from modelVersion, without a models/ prefix', () => {
    const m = meter();
    feed(m, [ev({ modelVersion: 'models/gemini-2.5-pro', candidates: [] })]);
    expect(m.reading().model).toBe('gemini-2.5-pro');
  });

  it('counts unreadable events and never throws on odd shapes', () => {
    const m = meter();
    feed(m, [ev('{"candidates": [{"content"'), ev('[1, 2]'), ev('"text"'), ev('null')]);
    expect(m.reading().malformed).toBe(4);
    const odd: unknown[] = [
      { candidates: 5 },
      { candidates: [null, { content: 3 }, { content: { parts: [null, 7, { functionCall: 'x' }, { text: 9 }] } }] },
      { usageMetadata: { promptTokenCount: -5, candidatesTokenCount: 'many' } },
      { usageMetadata: [] },
      { promptFeedback: 'blocked' },
    ];
    expect(() => feed(m, odd.map(ev))).not.toThrow();
    expect(m.reading()).toMatchObject({ malformed: 4, toolCalls: 0, outputChars: 0, complete: false });
    expect(m.reading().usage).toEqual({ input: null, output: null, cacheRead: null, cacheWrite5m: null, cacheWrite1h: null, webSearches: null });
  });

  it('ignores an error object inside the stream without counting it as unreadable', () => {
    const m = meter();
    feed(m, [ev({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } })]);
    expect(m.reading()).toMatchObject({ malformed: 0, complete: false, usage: { input: null, output: null } });
  });
});

describe('gemini meter (JSON)', () => {
  const WHOLE = {
    candidates: [
      {
        content: {
          parts: [
            { text: THOUGHT, thought: true },
            { text: TEXT },
            { functionCall: { name: 'list_directory', args: { path: '/work' } } },
            { functionCall: { name: 'read_file', args: { absolute_path: '/work/README.md' } } },
          ],
          role: 'model',
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 12_000, cachedContentTokenCount: 8000, candidatesTokenCount: 31, totalTokenCount: 12_071, thoughtsTokenCount: 40 },
    modelVersion: MODEL,
  };

  it('reads a generateContent body', () => {
    const m = meter();
    m.json(WHOLE);
    expect(m.reading()).toEqual(FULL_READING);
  });

  it('reads the JSON array streamGenerateContent returns without alt=sse, keeping the last usage', () => {
    const m = meter();
    m.json(CHUNKS);
    expect(m.reading()).toEqual(FULL_READING);
  });

  it('counts unreadable bodies and array items', () => {
    const m = meter();
    m.json(undefined);
    m.json([CHUNKS[0], 42, 'x']);
    expect(m.reading()).toMatchObject({ malformed: 3, usage: { input: 4000, output: 40 }, complete: false });
  });

  it('reads nothing from an error body', () => {
    const m = meter();
    m.json({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } });
    expect(m.reading()).toMatchObject({ malformed: 0, complete: false, model: null, usage: { input: null, output: null } });
  });
});

describe('gemini classify and inspect', () => {
  it.each([
    ['POST', '/v1beta/models/gemini-2.5-pro:generateContent', 'generate'],
    ['POST', '/v1beta/models/gemini-2.5-pro:streamGenerateContent', 'generate'],
    ['POST', '/v1/models/gemini-2.0-flash:generateContent', 'generate'],
    ['POST', '/v1alpha/models/gemini-2.5-flash%3AstreamGenerateContent', 'generate'],
    ['POST', '/v1beta/models%2Fgemini-2.5-flash%3AgenerateContent', 'generate'],
    ['POST', '/v1beta/models/gemini-2.5-pro:countTokens', 'free'],
    ['GET', '/v1beta/models', 'free'],
    ['GET', '/v1beta/models/gemini-2.5-pro', 'free'],
    ['POST', '/v1beta/models/gemini-embedding-001:embedContent', 'other'],
    ['POST', '/v1beta/models/gemini-embedding-001:batchEmbedContents', 'other'],
    ['POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent', 'other'],
    ['POST', '/v1beta/tunedModels/my-tune-123:generateContent', 'generate'],
    ['POST', '/v1beta/tunedModels/my-tune-123:transferOwnership', 'other'],
    ['POST', '/v1beta/cachedContents', 'other'],
    ['POST', '/upload/v1beta/files', 'other'],
    ['POST', '/v1beta/models/gem%ZZ:generateContent', 'generate'],
  ])('%s %s is %s', (method, path, kind) => {
    expect(gemini.classify(method, path)).toBe(kind);
  });

  it('takes the model and streaming from the path, the ceiling from generationConfig', () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 2048, temperature: 0 } };
    expect(gemini.inspect(body, '/v1beta/models/gemini-2.5-pro:streamGenerateContent')).toEqual({
      model: 'gemini-2.5-pro',
      maxTokens: 2048,
      stream: true,
      clampable: true,
    });
    expect(gemini.inspect({}, '/v1beta/models/gemini-2.5-flash:generateContent')).toEqual({
      model: 'gemini-2.5-flash',
      maxTokens: null,
      stream: false,
      clampable: true,
    });
  });

  it('decodes URL-encoded names and strips the models/ prefix', () => {
    expect(gemini.inspect({}, '/v1beta/models/gemini-2.5-pro%3AstreamGenerateContent')).toEqual({
      model: 'gemini-2.5-pro',
      maxTokens: null,
      stream: true,
      clampable: true,
    });
    expect(gemini.inspect({}, '/v1beta/models%2Fgemini-2.5-flash-lite:generateContent').model).toBe('gemini-2.5-flash-lite');
    expect(gemini.inspect({}, '/v1beta1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent').model).toBe(
      'gemini-2.5-pro',
    );
    expect(gemini.inspect({}, '/v1beta/tunedModels/my-tune-123:generateContent').model).toBe('tunedModels/my-tune-123');
    expect(gemini.inspect({}, '/v1beta/models').model).toBeNull();
  });

  it('reads snake_case fields and survives bodies that are not objects', () => {
    expect(gemini.inspect({ generation_config: { max_output_tokens: 8000 } }, '/v1beta/models/gemini-2.5-pro:generateContent').maxTokens).toBe(8000);
    expect(gemini.inspect('nonsense', '/v1beta/models/gemini-2.5-pro:generateContent')).toEqual({
      model: 'gemini-2.5-pro',
      maxTokens: null,
      stream: false,
      clampable: true,
    });
    expect(gemini.inspect({ generationConfig: { maxOutputTokens: -1 } }, '/v1beta/models/x:generateContent').maxTokens).toBeNull();
  });

  it('needs no request rewrites', () => {
    expect(gemini.prepare({ contents: [] }, { model: MODEL, maxTokens: null, stream: true, clampable: true })).toBeNull();
  });

  it('knows each family’s output ceiling', () => {
    expect(gemini.defaultMaxTokens('gemini-2.5-pro')).toBe(65_536);
    expect(gemini.defaultMaxTokens('models/gemini-2.5-flash')).toBe(65_536);
    expect(gemini.defaultMaxTokens('gemini-2.5-flash-lite')).toBe(65_536);
    expect(gemini.defaultMaxTokens('gemini-3-pro-preview')).toBe(65_536);
    expect(gemini.defaultMaxTokens('gemini-2.0-flash')).toBe(8192);
    expect(gemini.defaultMaxTokens('gemini-1.5-pro-002')).toBe(8192);
    expect(gemini.defaultMaxTokens('some-future-model')).toBe(65_536);
  });
});

describe('gemini withMaxTokens', () => {
  const contents = [{ role: 'user', parts: [{ text: 'hi' }] }];
  const body = {
    contents,
    generationConfig: { temperature: 0, maxOutputTokens: 65_536, thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 } },
  };

  it('lowers maxOutputTokens and a larger thinking budget, keeping the rest and the original intact', () => {
    const before = JSON.stringify(body);
    expect(gemini.withMaxTokens(body, 4000)).toEqual({
      contents,
      generationConfig: { temperature: 0, maxOutputTokens: 4000, thinkingConfig: { includeThoughts: true, thinkingBudget: 2000 } },
    });
    expect(JSON.stringify(body)).toBe(before);
  });

  it('keeps a thinking budget that leaves half the ceiling for the answer', () => {
    expect(gemini.withMaxTokens(body, 20_000).generationConfig).toEqual({ ...body.generationConfig, maxOutputTokens: 20_000 });
  });

  it('always leaves room for an answer: the budget stays below the ceiling, at 512 when half is less', () => {
    expect(gemini.withMaxTokens(body, 600).generationConfig).toMatchObject({ maxOutputTokens: 600, thinkingConfig: { thinkingBudget: 512 } });
    expect(gemini.withMaxTokens(body, 100).generationConfig).toMatchObject({ maxOutputTokens: 100, thinkingConfig: { thinkingBudget: 99 } });
    const small = { generationConfig: { thinkingConfig: { thinkingBudget: 300 } } };
    expect(gemini.withMaxTokens(small, 100).generationConfig).toEqual({ maxOutputTokens: 100, thinkingConfig: { thinkingBudget: 99 } });
  });

  it('leaves dynamic (-1) and disabled (0) thinking, and thinkingLevel, alone', () => {
    for (const thinkingConfig of [{ thinkingBudget: -1 }, { thinkingBudget: 0 }, { thinkingLevel: 'HIGH', includeThoughts: true }]) {
      expect(gemini.withMaxTokens({ generationConfig: { thinkingConfig } }, 1000)).toEqual({ generationConfig: { maxOutputTokens: 1000, thinkingConfig } });
    }
  });

  it('adds a generationConfig when the request has none', () => {
    expect(gemini.withMaxTokens({ contents }, 2048)).toEqual({ contents, generationConfig: { maxOutputTokens: 2048 } });
  });

  it('keeps snake_case spelling rather than adding a second field', () => {
    const snake = { generation_config: { max_output_tokens: 8000, thinking_config: { thinking_budget: 8192 } } };
    expect(gemini.withMaxTokens(snake, 1000)).toEqual({ generation_config: { max_output_tokens: 1000, thinking_config: { thinking_budget: 512 } } });
  });
});

describe('gemini errors', () => {
  const parse = (body: string): unknown => JSON.parse(body);

  it('refuses over a limit with 400 FAILED_PRECONDITION, which Gemini CLI does not retry', () => {
    const e = gemini.error(402, 'capped: the run budget of $1.50 is spent; raise it with --max-usd.');
    expect(e.status).toBe(400);
    expect(parse(e.body)).toEqual({
      error: { code: 400, message: 'capped: the run budget of $1.50 is spent; raise it with --max-usd.', status: 'FAILED_PRECONDITION' },
    });
  });

  it.each([
    [400, 400, 'INVALID_ARGUMENT'],
    [403, 403, 'PERMISSION_DENIED'],
    [404, 404, 'NOT_FOUND'],
    [413, 400, 'INVALID_ARGUMENT'],
    [429, 429, 'RESOURCE_EXHAUSTED'],
    [500, 500, 'INTERNAL'],
    [502, 503, 'UNAVAILABLE'],
    [418, 400, 'FAILED_PRECONDITION'],
    [599, 500, 'INTERNAL'],
  ])('maps %i to %i %s', (status, code, name) => {
    const e = gemini.error(status, 'why "quoted"\nand more');
    expect(e.status).toBe(code);
    expect(parse(e.body)).toEqual({ error: { code, message: 'why "quoted"\nand more', status: name } });
  });

  it('writes a mid-stream error as Google does: one bare JSON error object, ending in a blank line', () => {
    const text = gemini.streamError('capped: the next tool call would exceed --max-actions 20.');
    expect(text.endsWith('\n\n')).toBe(true);
    // js-genai throws ApiError(status 400) when a stream chunk parses as JSON with an `error` field
    expect(parse(text)).toEqual({ error: { code: 400, message: 'capped: the next tool call would exceed --max-actions 20.', status: 'FAILED_PRECONDITION' } });
    // SSE readers skip it (no data field): no meter sees a bogus response
    const reader = new SseReader();
    expect([...reader.push(text), ...reader.end()]).toEqual([]);
  });
});

describe('gemini usage priced with genai-prices', () => {
  it('prices a metered stream at gemini-2.5-flash rates: $0.30 in, $0.03 cached, $2.50 out per million', () => {
    const u = readRaw(sse(CHUNKS)).usage;
    const usage = { input: u.input ?? 0, output: u.output ?? 0, cacheRead: u.cacheRead ?? 0, cacheWrite5m: 0, cacheWrite1h: 0, webSearches: 0 };
    // nano-dollars = tokens x $/Mtok x 1000: 4000 x 0.30 + 8000 x 0.03 + 71 x 2.50
    const expected = 4000 * 300 + 8000 * 30 + 71 * 2500;
    expect(expected).toBe(1_617_500);
    expect(createPriceBook().cost('google', 'gemini-2.5-flash', usage)).toBe(expected);
  });
});
