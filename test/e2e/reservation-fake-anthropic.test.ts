import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions, type FakeUsage } from '../fixtures/fake-anthropic.mjs';
import { hangUpAfter, postJson, sseData, text, until } from './helpers/fake-client.js';

// The fake Anthropic upstream bills like Anthropic (issue 9): tokens from the prompt's size plus
// hidden content, cache_control breakpoints with TTLs on an injectable clock, cut streams billed
// for what was sent, and a counting endpoint on the same tokenizer.

const MIN = 60_000;
let fake: FakeAnthropic | null = null;
let clock = 0;
afterEach(async () => {
  await fake?.close();
  fake = null;
  clock = 0;
});

async function start(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  fake = await startFakeAnthropic({ now: () => clock, outputTokens: () => 20, ...options });
  return fake;
}

/** Sends a message request and returns what the fake billed for it. */
async function bill(body: Record<string, unknown>): Promise<FakeUsage> {
  const before = fake!.bill.requests.length;
  const res = await postJson(`${fake!.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 100, ...body });
  expect(res.status, res.text).toBe(200);
  return fake!.bill.requests[before]!.usage;
}

const inputOf = (u: FakeUsage): number => u.input + u.cacheRead + u.write5m + u.write1h;
const cachedSystem = (ttl?: '1h', bytes = 8000) => [{ type: 'text', text: text(bytes), cache_control: { type: 'ephemeral', ...(ttl ? { ttl } : {}) } }];
const hi = [{ role: 'user', content: 'hi' }];

describe('fake Anthropic: prompt caching', () => {
  it('writes at a 5-minute breakpoint, reads it within 5 minutes, a read refreshes it, then it expires', async () => {
    await start();
    const body = { system: cachedSystem(), messages: hi };
    const first = await bill(body);
    expect(first.write5m).toBeGreaterThan(2000);
    expect(first.cacheRead).toBe(0);
    clock = 4 * MIN;
    const second = await bill(body);
    expect(second).toMatchObject({ cacheRead: first.write5m, write5m: 0, write1h: 0, input: first.input });
    clock = 8 * MIN; // 8 minutes after the write, 4 after the read that refreshed it
    expect((await bill(body)).cacheRead).toBe(first.write5m);
    clock = 14 * MIN;
    expect(await bill(body)).toMatchObject({ cacheRead: 0, write5m: first.write5m });
  });

  it('keeps a 1-hour breakpoint for an hour, billed at the 1-hour write rate', async () => {
    await start();
    const body = { system: cachedSystem('1h'), messages: hi };
    const first = await bill(body);
    expect(first.write1h).toBeGreaterThan(2000);
    expect(first.write5m).toBe(0);
    clock = 59 * MIN;
    expect((await bill(body)).cacheRead).toBe(first.write1h);
    clock = 59 * MIN + 61 * MIN;
    expect(await bill(body)).toMatchObject({ cacheRead: 0, write1h: first.write1h });
    expect(fake!.bill.requests[0]!.pico).toBeGreaterThan(fake!.bill.requests[1]!.pico * 10);
  });

  it('reads the previous turn of a growing conversation and writes only the new turn', async () => {
    await start();
    const messages: Record<string, unknown>[] = [{ role: 'user', content: [{ type: 'text', text: text(6000, 'task') }] }];
    const withBreakpoint = () =>
      messages.map((m, i) => {
        if (i !== messages.length - 1) return m;
        const blocks = m.content as Record<string, unknown>[];
        return { ...m, content: blocks.map((b, j) => (j === blocks.length - 1 ? { ...b, cache_control: { type: 'ephemeral' } } : b)) };
      });
    const turn1 = await bill({ messages: withBreakpoint() });
    expect(turn1).toMatchObject({ input: 0, cacheRead: 0 });
    messages.push({
      role: 'assistant',
      content: [
        { type: 'text', text: 'reading' },
        { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } },
      ],
    });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: text(2000, 'result') }] });
    const turn2 = await bill({ messages: withBreakpoint() });
    expect(turn2.cacheRead).toBe(turn1.write5m);
    expect(turn2.write5m).toBe(inputOf(turn2) - turn1.write5m);
    expect(turn2.write5m).toBeGreaterThan(500);
    expect(turn2.write5m).toBeLessThan(700);
  });

  it('never caches a prefix under the model minimum: 1024 tokens for Sonnet, 2048 for Haiku', async () => {
    await start();
    expect(await bill({ system: cachedSystem(undefined, 2000), messages: hi })).toMatchObject({ write5m: 0, cacheRead: 0 });
    // ~1500 tokens: cacheable on Sonnet, not on Haiku.
    expect((await bill({ system: cachedSystem(undefined, 6000), messages: hi })).write5m).toBeGreaterThan(1024);
    expect(await bill({ model: 'claude-haiku-4-5', system: cachedSystem(undefined, 6000), messages: hi })).toMatchObject({ write5m: 0, cacheRead: 0 });
  });

  it('refuses more than 4 breakpoints, as Anthropic does', async () => {
    await start();
    const system = Array.from({ length: 5 }, () => cachedSystem()[0]);
    const res = await postJson(`${fake!.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 10, system, messages: hi });
    expect(res.status).toBe(400);
    expect(res.text).toContain('A maximum of 4 blocks with cache_control');
  });

  it('reports the split in message_start, before any output', async () => {
    await start();
    await bill({ system: cachedSystem(), messages: hi });
    const res = await postJson(`${fake!.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, system: cachedSystem(), messages: hi });
    const events = sseData(res.text);
    expect(events[0]!.type).toBe('message_start');
    const usage = (events[0]!.message as { usage: Record<string, number> }).usage;
    const billed = fake!.bill.requests[1]!.usage;
    expect(usage).toMatchObject({ input_tokens: billed.input, cache_read_input_tokens: billed.cacheRead, cache_creation_input_tokens: 0 });
    expect(billed.cacheRead).toBeGreaterThan(2000);
  });
});

describe('fake Anthropic: what the body does not show', () => {
  it('bills hidden file and URL sources, counts them for free, and counts calls', async () => {
    await start({ hiddenTokens: { file_big: 60_000 } });
    const doc = {
      role: 'user',
      content: [
        { type: 'document', source: { type: 'file', file_id: 'file_big' } },
        { type: 'text', text: 'summarise' },
      ],
    };
    const image = {
      role: 'user',
      content: [
        { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
        { type: 'text', text: 'summarise' },
      ],
    };
    const plain = { role: 'user', content: [{ type: 'text', text: 'summarise' }] };
    const withDoc = inputOf(await bill({ messages: [doc] }));
    const withImage = inputOf(await bill({ messages: [image] }));
    const without = inputOf(await bill({ messages: [plain] }));
    expect(withDoc - without).toBeGreaterThan(60_000);
    expect(withDoc - without).toBeLessThan(60_020);
    expect(withImage - without).toBeGreaterThan(1600);
    expect(withImage - without).toBeLessThan(1620);
    const count = await postJson(`${fake!.url}/v1/messages/count_tokens`, { model: 'claude-sonnet-4-5', messages: [doc] });
    expect(count.json).toEqual({ input_tokens: withDoc });
    expect(fake!.bill.countCalls).toBe(1);
    expect(fake!.bill.requests).toHaveLength(3);
  });

  it('counts only a prompt: a generation field in a count request is a 400, as the real endpoint answers', async () => {
    await start();
    const res = await postJson(`${fake!.url}/v1/messages/count_tokens`, { model: 'claude-sonnet-4-5', max_tokens: 100, messages: hi });
    expect(res.status).toBe(400);
    expect(res.text).toContain('max_tokens: Extra inputs are not permitted');
    expect(fake!.bill.countCalls).toBe(0);
  });

  it('bills a server-side tool page as input the counting endpoint cannot see', async () => {
    await start({ hiddenTokens: { web_fetch: 7000 } });
    const body = { tools: [{ type: 'web_fetch_20250910', name: 'web_fetch' }], messages: hi };
    const billed = inputOf(await bill(body));
    const count = await postJson(`${fake!.url}/v1/messages/count_tokens`, { model: 'claude-sonnet-4-5', ...body });
    expect(billed - (count.json.input_tokens as number)).toBe(7000);
  });

  it('bills extraInputTokens on the first request only', async () => {
    await start({ extraInputTokens: 20_000 });
    const first = inputOf(await bill({ messages: hi }));
    const second = inputOf(await bill({ messages: hi }));
    expect(first - second).toBe(20_000);
  });
});

describe('fake Anthropic: output', () => {
  it('bills a stream the client hangs up on for the input and the output sent so far', async () => {
    await start({ outputTokens: () => 400, chunkDelayMs: 20 });
    const body = { model: 'claude-sonnet-4-5', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: text(4000) }] };
    await hangUpAfter(`${fake!.url}/v1/messages`, body, 'content_block_delta');
    await until(() => fake!.bill.requests.length === 1);
    const usage = fake!.bill.requests[0]!.usage;
    expect(usage.output).toBeGreaterThan(0);
    expect(usage.output).toBeLessThan(400);
    expect(usage.input).toBeGreaterThan(1000);
  });

  it('bills a stream left right after message_start for the output that event reported (1), not 0', async () => {
    await start({ outputTokens: () => 400, chunkDelayMs: 50 });
    const body = { model: 'claude-sonnet-4-5', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: text(4000) }] };
    await hangUpAfter(`${fake!.url}/v1/messages`, body, 'message_start');
    await until(() => fake!.bill.requests.length === 1);
    expect(fake!.bill.requests[0]!.usage.output).toBe(1);
  });

  it('answers with the text it is given, its characters 3 a token, streamed and JSON', async () => {
    const code = (chars: number, from: number): string => 'if (a) {\n  say("hi");\n}\n'.repeat(40).slice(from, from + chars);
    await start({ outputTokens: () => 100, text: code, deltaTokens: () => 7 });
    const json = await postJson(`${fake!.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 100, messages: hi });
    expect((json.json.content as { text: string }[])[0]!.text).toBe(code(300, 0));
    const res = await fetch(`${fake!.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: hi }),
    });
    const deltas = sseData(await res.text())
      .filter((e) => e.type === 'content_block_delta')
      .map((e) => (e.delta as { text: string }).text);
    expect(deltas.join('')).toBe(code(300, 0));
    expect(fake!.bill.requests.map((r) => r.usage.output)).toEqual([100, 100]);
  });

  it('with ignoreMaxTokens generates past max_tokens, streamed and JSON', async () => {
    await start({ outputTokens: () => 500, ignoreMaxTokens: true });
    expect((await bill({ max_tokens: 10, messages: hi })).output).toBe(500);
    expect((await bill({ max_tokens: 10, stream: true, messages: hi })).output).toBe(500);
    await fake!.close();
    await start({ outputTokens: () => 500 });
    expect((await bill({ max_tokens: 10, stream: true, messages: hi })).output).toBe(10);
  });
});
