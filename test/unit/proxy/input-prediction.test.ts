import { describe, expect, it } from 'vitest';
import { ConversationMemory, type CacheHints, type InputSplit, type Seen } from '../../../src/proxy/conversations.js';
import { InputEstimator } from '../../../src/proxy/input-estimator.js';
import { predictInput, type CacheRules } from '../../../src/proxy/input-prediction.js';
import { anthropicCacheHints, openaiCacheHints } from '../../../src/proxy/providers/cache-hints.js';

const EXPLICIT: CacheRules = { kind: 'explicit', minTokens: () => 1024 };
const AUTOMATIC: CacheRules = { kind: 'automatic', minTokens: 1024, step: 128 };
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A Claude Code-like body: messages first, then a large system prompt and tools; breakpoint on the last message. */
function claudeBody(turns: number, ttl: '5m' | '1h' = '1h'): Record<string, unknown> {
  const messages = [];
  for (let i = 0; i < turns; i++) {
    const last = i === turns - 1;
    const text = `turn ${i} ` + 'x'.repeat(4000);
    messages.push({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: [{ type: 'text', text, ...(last ? { cache_control: { type: 'ephemeral', ttl } } : {}) }],
    });
  }
  return {
    model: 'claude-sonnet-4-5',
    messages,
    system: [{ type: 'text', text: 'You are an agent. ' + 's'.repeat(40_000), cache_control: { type: 'ephemeral', ttl } }],
    tools: [{ name: 'Bash', description: 'd'.repeat(20_000), input_schema: {} }],
    max_tokens: 32000,
    stream: true,
  };
}

function seenOf(key: string, body: Buffer, hints: CacheHints, at: number): Seen {
  return { key, body, at, hints, billed: null, output: 0, responseId: null, cacheBasis: 0 };
}

/** Learns tokens = bytes / 4 exactly, like a provider whose tokenizer does that. */
function learnedEstimator(): InputEstimator {
  const e = new InputEstimator();
  for (let i = 0; i < 10; i++) e.observe(4000, 1000);
  return e;
}

describe('predictInput', () => {
  it('prices a first request from its bytes, all written at the breakpoint TTL', () => {
    const body = Buffer.from(JSON.stringify(claudeBody(1)));
    const p = predictInput({
      rules: EXPLICIT,
      model: 'm',
      hints: anthropicCacheHints(claudeBody(1)),
      body,
      continuation: null,
      estimator: learnedEstimator(),
      now: T0,
      cacheEfficiency: null,
      hiddenMarkers: [],
    });
    expect(p.total).toBe(Math.ceil(body.length * 0.25 * 1.05));
    expect(p.likely).toEqual({ input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: p.total });
    expect(p.worst).toEqual(p.likely);
    expect(p.uncertain).toBe(false);
  });

  it('reads what the previous turn cached within its TTL, writes the new part, and knows the shared tokens from the bill', () => {
    const memory = new ConversationMemory();
    const estimator = learnedEstimator();
    const first = claudeBody(3);
    const firstRaw = Buffer.from(JSON.stringify(first));
    const seen = seenOf('k', firstRaw, anthropicCacheHints(first), T0);
    memory.sent(seen);
    // The provider billed 12,000 tokens for it, all written to the 1-hour cache.
    memory.settled(seen, { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 12_000 }, 500, null);
    const next = claudeBody(5);
    const raw = Buffer.from(JSON.stringify(next));
    const continuation = memory.match('k', raw, null);
    expect(continuation).not.toBeNull();
    const p = predictInput({
      rules: EXPLICIT,
      model: 'm',
      hints: anthropicCacheHints(next),
      body: raw,
      continuation,
      estimator,
      now: T0 + 60_000,
      cacheEfficiency: null,
      hiddenMarkers: [],
    });
    // Only the two new turns (and the moved breakpoint) are estimated: about 2 × 4 KB.
    const newBytes = raw.length - continuation!.sharedBytes;
    expect(newBytes).toBeGreaterThan(8000);
    expect(newBytes).toBeLessThan(8300);
    expect(p.likely.cacheRead).toBe(12_000 - estimator.estimate(continuation!.droppedBytes));
    expect(p.likely.cacheWrite1h).toBe(p.total - p.likely.cacheRead);
    expect(p.total - 12_000).toBeLessThan(2300);
    // Worst case: everything written at the 1-hour rate.
    expect(p.worst.cacheWrite1h).toBe(p.total);
  });

  it('reads nothing once the TTL has passed, or when the system prompt changed', () => {
    const memory = new ConversationMemory();
    const first = claudeBody(3, '5m');
    const seen = seenOf('k', Buffer.from(JSON.stringify(first)), anthropicCacheHints(first), T0);
    memory.sent(seen);
    memory.settled(seen, { input: 0, cacheRead: 0, cacheWrite5m: 12_000, cacheWrite1h: 0 }, 500, null);
    const next = claudeBody(5, '5m');
    const raw = Buffer.from(JSON.stringify(next));
    const args = {
      rules: EXPLICIT,
      model: 'm',
      body: raw,
      continuation: memory.match('k', raw, null),
      estimator: learnedEstimator(),
      cacheEfficiency: null,
      hiddenMarkers: [],
    };
    const late = predictInput({ ...args, hints: anthropicCacheHints(next), now: T0 + 6 * 60_000 });
    expect(late.likely.cacheRead).toBe(0);
    expect(late.likely.cacheWrite5m).toBe(late.total);
    const changed = { ...next, system: [{ type: 'text', text: 'Another prompt', cache_control: { type: 'ephemeral' } }] };
    const other = predictInput({ ...args, hints: anthropicCacheHints(changed), now: T0 + 60_000 });
    expect(other.likely.cacheRead).toBe(0);
  });

  it('another conversation differing by one character reads only the tools and system', () => {
    const memory = new ConversationMemory();
    const estimator = learnedEstimator();
    const a = claudeBody(1);
    const rawA = Buffer.from(JSON.stringify(a));
    const seen = seenOf('k', rawA, anthropicCacheHints(a), T0);
    memory.sent(seen);
    memory.settled(seen, { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 16_000 }, 400, null);
    const b = JSON.parse(JSON.stringify(a).replace('turn 0 ', 'turn 9 ')) as Record<string, unknown>;
    const rawB = Buffer.from(JSON.stringify(b));
    const continuation = memory.match('k', rawB, null);
    expect(continuation?.droppedBytes).toBe(1);
    const p = predictInput({
      rules: EXPLICIT,
      model: 'm',
      hints: anthropicCacheHints(b),
      body: rawB,
      continuation,
      estimator,
      now: T0 + 1000,
      cacheEfficiency: null,
      hiddenMarkers: [],
    });
    const prefixBytes = Buffer.byteLength(JSON.stringify([b.tools, b.system]));
    expect(p.likely.cacheRead).toBe(Math.floor(prefixBytes * estimator.tokensPerByte() * 0.9));
    expect(p.likely.cacheRead).toBeLessThan(16_000 - 1000);
  });

  it('automatic caches: what the cache lately served of the shared earlier prompt, in 128-token steps from 1,024', () => {
    const memory = new ConversationMemory();
    const estimator = learnedEstimator();
    const body = (n: number): Record<string, unknown> => ({
      model: 'gpt-5',
      input: Array.from({ length: n }, (_, i) => ({ role: 'user', content: `m${i} ` + 'y'.repeat(3000) })),
    });
    const first = body(4);
    const seen = seenOf('k', Buffer.from(JSON.stringify(first)), openaiCacheHints(first), T0);
    memory.sent(seen);
    memory.settled(seen, { input: 3100, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 }, 100, null);
    const next = body(6);
    const raw = Buffer.from(JSON.stringify(next));
    const args = {
      rules: AUTOMATIC,
      model: 'm',
      hints: openaiCacheHints(next),
      body: raw,
      continuation: memory.match('k', raw, null),
      estimator,
      now: T0 + 1000,
      hiddenMarkers: [],
    };
    expect(predictInput({ ...args, cacheEfficiency: null }).likely.cacheRead).toBe(0);
    expect(predictInput({ ...args, cacheEfficiency: 0 }).likely.cacheRead).toBe(0);
    const served = predictInput({ ...args, cacheEfficiency: 1 });
    // The earlier prompt (3,100 tokens) bounds what can be read, whatever else is shared.
    expect(served.cacheBasis).toBe(3100);
    // 1,024 + 15 steps of 128.
    expect(served.likely.cacheRead).toBe(3072);
    const partly = predictInput({ ...args, cacheEfficiency: 0.5 });
    // Half of 3,100 is 1,550: 1,024 + 4 steps of 128.
    expect(partly.likely.cacheRead).toBe(1536);
    expect(served.worst).toEqual({ input: served.total, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 });
  });

  it('a server-side continuation (previous_response_id) carries the earlier input and output', () => {
    const memory = new ConversationMemory();
    const first = { model: 'gpt-5', input: 'hello' };
    const seen = seenOf('k', Buffer.from(JSON.stringify(first)), openaiCacheHints(first), T0);
    memory.sent(seen);
    const billed: InputSplit = { input: 5000, cacheRead: 20_000, cacheWrite5m: 0, cacheWrite1h: 0 };
    memory.settled(seen, billed, 700, 'resp_1');
    const next = { model: 'gpt-5', previous_response_id: 'resp_1', input: [{ type: 'function_call_output', output: 'ok' }] };
    const raw = Buffer.from(JSON.stringify(next));
    const hints = openaiCacheHints(next);
    const p = predictInput({
      rules: AUTOMATIC,
      model: 'm',
      hints,
      body: raw,
      continuation: memory.match('k', raw, hints.continues),
      estimator: learnedEstimator(),
      now: T0,
      cacheEfficiency: null,
      hiddenMarkers: [],
    });
    expect(p.sharedTokens).toBe(25_700);
    expect(p.total).toBeGreaterThan(25_700);
  });

  it('marks content the body does not hold, in the part not known from a bill', () => {
    const memory = new ConversationMemory();
    const markers = ['"file_id"'];
    const doc = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'file', file_id: 'file_1' } },
            { type: 'text', text: 'z'.repeat(5000) },
          ],
        },
      ],
    };
    const raw = Buffer.from(JSON.stringify(doc));
    const first = predictInput({
      rules: EXPLICIT,
      model: 'm',
      hints: anthropicCacheHints(doc),
      body: raw,
      continuation: null,
      estimator: learnedEstimator(),
      now: T0,
      cacheEfficiency: null,
      hiddenMarkers: markers,
    });
    expect(first.uncertain).toBe(true);
    const seen = seenOf('k', raw, anthropicCacheHints(doc), T0);
    memory.sent(seen);
    memory.settled(seen, { input: 61_250, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 }, 10, null);
    const next = { ...doc, messages: [...doc.messages, { role: 'assistant', content: [{ type: 'text', text: 'w'.repeat(5000) }] }] };
    const nextRaw = Buffer.from(JSON.stringify(next));
    const p = predictInput({
      rules: EXPLICIT,
      model: 'm',
      hints: anthropicCacheHints(next),
      body: nextRaw,
      continuation: memory.match('k', nextRaw, null),
      estimator: learnedEstimator(),
      now: T0,
      cacheEfficiency: null,
      hiddenMarkers: markers,
    });
    expect(p.uncertain).toBe(false);
    // The document's tokens come from the earlier bill.
    expect(p.total).toBeGreaterThan(61_250);
    expect(
      predictInput({
        rules: EXPLICIT,
        model: 'm',
        hints: anthropicCacheHints(next),
        body: nextRaw,
        continuation: null,
        estimator: learnedEstimator(),
        now: T0,
        cacheEfficiency: null,
        hiddenMarkers: markers,
        exactTotal: 62_600,
      }).total,
    ).toBe(62_600);
  });
});

describe('ConversationMemory', () => {
  it('matches the request a body continues, not an unrelated one, and keeps only the latest few', () => {
    const memory = new ConversationMemory();
    const hints = openaiCacheHints({});
    const a = Buffer.from('{"input":"' + 'a'.repeat(10_000) + '"}');
    const b = Buffer.from('{"input":"' + 'b'.repeat(10_000) + '"}');
    for (const [body, tokens] of [
      [a, 2500],
      [b, 2600],
    ] as const) {
      const seen = seenOf('k', body, hints, T0);
      memory.sent(seen);
      memory.settled(seen, { input: tokens, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 }, 0, null);
    }
    const next = Buffer.from('{"input":"' + 'a'.repeat(10_000) + 'more"}');
    expect(memory.match('k', next, null)?.seen.body).toBe(a);
    expect(memory.match('other', next, null)).toBeNull();
    expect(memory.match('k', Buffer.from('{"input":"' + 'c'.repeat(10_000) + '"}'), null)).toBeNull();
    for (let i = 0; i < 8; i++) memory.sent(seenOf('k', Buffer.from(`x${i}`), hints, T0));
    expect(memory.match('k', next, null)).toBeNull();
  });

  it('judges an automatic cache by the least it served of what it could, over the last three requests', () => {
    const memory = new ConversationMemory();
    const hints = openaiCacheHints({});
    expect(memory.cacheEfficiency('k')).toBeNull();
    const serve = (basis: number, read: number): void => {
      const s = { ...seenOf('k', Buffer.from(String(basis)), hints, T0), cacheBasis: basis };
      memory.sent(s);
      memory.settled(s, { input: 100, cacheRead: read, cacheWrite5m: 0, cacheWrite1h: 0 }, 0, null);
    };
    serve(2048, 0);
    expect(memory.cacheEfficiency('k')).toBe(0);
    serve(4000, 3840);
    serve(4000, 4000);
    expect(memory.cacheEfficiency('k')).toBe(0);
    serve(4000, 3600);
    expect(memory.cacheEfficiency('k')).toBe(0.9);
  });
});
