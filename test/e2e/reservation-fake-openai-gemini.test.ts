import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGemini, type FakeGemini, type GeminiUsage } from '../fixtures/fake-gemini.mjs';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions, type FakeOpenAIUsage } from '../fixtures/fake-openai.mjs';
import { hangUpAfter, postJson, sseData, text, until } from './helpers/fake-client.js';

// The fake OpenAI and Gemini upstreams bill like the providers (issue 9): automatic prefix caching
// (OpenAI from 1024 tokens in 128-token steps, Gemini from 2048), TTLs on an injectable clock,
// hidden files, the context behind previous_response_id, cut streams, and counting endpoints.

const MIN = 60_000;
let openai: FakeOpenAI | null = null;
let gemini: FakeGemini | null = null;
let clock = 0;
afterEach(async () => {
  await openai?.close();
  await gemini?.close();
  openai = null;
  gemini = null;
  clock = 0;
});

async function responses(body: Record<string, unknown>): Promise<{ usage: FakeOpenAIUsage; id: string; events: Record<string, unknown>[] }> {
  const before = openai!.bill.requests.length;
  const res = await postJson(`${openai!.baseUrl}/responses`, { model: 'gpt-5', stream: true, ...body });
  expect(res.status, res.text).toBe(200);
  const events = sseData(res.text);
  const id = (events[0]!.response as { id: string }).id;
  return { usage: openai!.bill.requests[before]!.usage, id, events };
}

const user = (content: string) => ({ type: 'message', role: 'user', content });
const startOpenAI = async (options: FakeOpenAIOptions = {}) => (openai = await startFakeOpenAI({ now: () => clock, ...options }));

describe('fake OpenAI: automatic prompt caching', () => {
  it('caches the shared prefix from 1024 tokens in 128-token steps, reported only at the end', async () => {
    await startOpenAI();
    const input = [user(text(9000))];
    const first = await responses({ input });
    expect(first.usage.cached).toBe(0);
    input.push(user(text(800, 'more')));
    const second = await responses({ input });
    // The whole first prompt is the shared prefix.
    expect(second.usage.cached).toBe(1024 + Math.floor((first.usage.input - 1024) / 128) * 128);
    expect(second.usage.cached % 128).toBe(0);
    const terminal = second.events[second.events.length - 1]!;
    expect(terminal.type).toBe('response.completed');
    expect((terminal.response as { usage: { input_tokens_details: { cached_tokens: number } } }).usage.input_tokens_details.cached_tokens).toBe(
      second.usage.cached,
    );
    expect(second.events.slice(0, -1).every((e) => (e.response as { usage?: unknown } | undefined)?.usage == null)).toBe(true);
  });

  it('caches nothing under 1024 shared tokens, and nothing after the TTL', async () => {
    await startOpenAI();
    const small = [user(text(3000))];
    await responses({ input: small });
    expect((await responses({ input: small })).usage.cached).toBe(0);
    const big = [user(text(9000))];
    await responses({ input: big });
    clock = 4 * MIN;
    expect((await responses({ input: big })).usage.cached).toBeGreaterThan(1024);
    clock = 10 * MIN;
    expect((await responses({ input: big })).usage.cached).toBe(0);
  });

  it('caches Chat Completions the same way, in the final usage chunk', async () => {
    await startOpenAI();
    const messages = [
      { role: 'system', content: text(9000) },
      { role: 'user', content: 'hi' },
    ];
    const body = { model: 'gpt-4.1', messages, stream: true, stream_options: { include_usage: true } };
    await postJson(`${openai!.baseUrl}/chat/completions`, body);
    const res = await postJson(`${openai!.baseUrl}/chat/completions`, body);
    const chunks = sseData(res.text);
    const usage = chunks[chunks.length - 1]!.usage as { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
    expect(usage.prompt_tokens_details.cached_tokens).toBe(1024 + Math.floor((usage.prompt_tokens - 1024) / 128) * 128);
    expect(chunks.slice(0, -1).every((c) => c.usage == null)).toBe(true);
  });
});

describe('fake OpenAI: what the body does not show', () => {
  it('bills the context behind previous_response_id, and the counting endpoint counts it too', async () => {
    await startOpenAI({ outputTokens: 70 });
    const first = await responses({ input: [user(text(4000))] });
    const next = { input: [user(text(400, 'next'))], previous_response_id: first.id };
    const alone = await postJson(`${openai!.baseUrl}/responses/input_tokens`, { model: 'gpt-5', input: next.input });
    const second = await responses(next);
    expect(second.usage.input).toBe(first.usage.input + 70 + (alone.json.input_tokens as number));
    const count = await postJson(`${openai!.baseUrl}/responses/input_tokens`, { model: 'gpt-5', ...next });
    expect(count.json).toEqual({ object: 'response.input_tokens', input_tokens: second.usage.input });
    expect(openai!.bill.countCalls).toBe(2);
  });

  it('bills an input_file by its hidden tokens, and counts them', async () => {
    await startOpenAI({ hiddenTokens: { 'file-abc': 60_000 } });
    const input = [
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_file', file_id: 'file-abc' },
          { type: 'input_text', text: 'summarise' },
        ],
      },
    ];
    const billed = (await responses({ input })).usage.input;
    expect(billed).toBeGreaterThan(60_000);
    expect(billed).toBeLessThan(60_050);
    const count = await postJson(`${openai!.baseUrl}/responses/input_tokens`, { model: 'gpt-5', input });
    expect(count.json.input_tokens).toBe(billed);
    // Chat Completions: an image by URL costs the default hidden tokens.
    const chat = async (content: unknown) => {
      await postJson(`${openai!.baseUrl}/chat/completions`, { model: 'gpt-4.1', messages: [{ role: 'user', content }] });
      return openai!.bill.requests.at(-1)!.usage.input;
    };
    const image = await chat([{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }]);
    const inline = await chat([{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }]);
    expect(image - inline).toBeGreaterThan(1590);
    expect(image - inline).toBeLessThan(1600);
  });

  it('bills a stream the client leaves for the input and the output sent so far', async () => {
    await startOpenAI({ outputTokens: 400, chunkDelayMs: 20 });
    await hangUpAfter(`${openai!.baseUrl}/responses`, { model: 'gpt-5', stream: true, input: [user(text(4000))] }, 'response.output_text.delta');
    await until(() => openai!.bill.requests[0]!.pico > 0);
    const usage = openai!.bill.requests[0]!.usage;
    expect(usage.output).toBeGreaterThan(0);
    expect(usage.output).toBeLessThan(400);
    expect(usage.input).toBeGreaterThan(1000);
  });

  it('with ignoreMaxTokens generates past max_output_tokens; extraInputTokens bills the first request more', async () => {
    await startOpenAI({ outputTokens: 500, ignoreMaxTokens: true, extraInputTokens: 20_000 });
    const input = [user('hi')];
    const first = await responses({ input, max_output_tokens: 16 });
    const second = await responses({ input, max_output_tokens: 16 });
    expect(first.usage.output).toBe(500);
    expect(first.usage.input - second.usage.input).toBe(20_000);
  });
});

describe('fake Gemini: implicit caching and counting', () => {
  const url = (action: string) => `${gemini!.url}/v1beta/models/gemini-2.5-pro:${action}`;
  async function generate(body: Record<string, unknown>): Promise<GeminiUsage> {
    const before = gemini!.bill.requests.length;
    const res = await postJson(url('streamGenerateContent?alt=sse'), body);
    expect(res.status, res.text).toBe(200);
    return gemini!.bill.requests[before]!.usage;
  }
  const contents = (bytes: number) => [{ role: 'user', parts: [{ text: text(bytes) }] }];

  it('caches a shared prefix from 2048 tokens, until the TTL', async () => {
    gemini = await startFakeGemini({ now: () => clock });
    await generate({ contents: contents(6000) });
    expect((await generate({ contents: contents(6000) })).cacheRead).toBe(0); // ~1500 tokens
    const first = await generate({ contents: contents(12_000) });
    expect(first.cacheRead).toBe(0);
    const second = await generate({ contents: [...contents(12_000), { role: 'user', parts: [{ text: 'and more' }] }] });
    expect(second.cacheRead).toBe(first.input);
    clock = 6 * MIN;
    expect((await generate({ contents: contents(12_000) })).cacheRead).toBe(0);
  });

  it('bills fileData by its hidden tokens; countTokens counts the same and counts calls', async () => {
    gemini = await startFakeGemini({ hiddenTokens: { 'files/doc': 60_000 } });
    const body = { contents: [{ role: 'user', parts: [{ fileData: { fileUri: 'files/doc', mimeType: 'application/pdf' } }, { text: 'summarise' }] }] };
    const usage = await generate(body);
    expect(usage.input + usage.cacheRead).toBeGreaterThan(60_000);
    const count = await postJson(url('countTokens'), body);
    expect(count.json).toEqual({ totalTokens: usage.input + usage.cacheRead });
    expect(gemini.bill.countCalls).toBe(1);
    // A whole request is counted as `generateContentRequest`; its fields at the top level are refused.
    const wrapped = await postJson(url('countTokens'), { generateContentRequest: { model: 'models/gemini-2.5-pro', ...body } });
    expect(wrapped.json).toEqual(count.json);
    const flat = await postJson(url('countTokens'), { ...body, systemInstruction: { parts: [{ text: 'be brief' }] } });
    expect(flat.status).toBe(400);
    expect((flat.json.error as { message: string }).message).toBe('Invalid JSON payload received. Unknown name "systemInstruction": Cannot find field.');
  });

  it('bills a stream the client leaves for the output sent so far', async () => {
    gemini = await startFakeGemini({ outputTokens: 300, chunkDelayMs: 30 });
    await hangUpAfter(url('streamGenerateContent?alt=sse'), { contents: contents(4000) }, 'Working');
    await until(() => gemini!.bill.requests[0]!.pico > 0);
    const usage = gemini.bill.requests[0]!.usage;
    expect(usage.output).toBeGreaterThan(0);
    expect(usage.output).toBeLessThan(300);
  });
});
