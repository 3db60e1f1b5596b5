import { describe, expect, it } from 'vitest';
import { fullCollection } from '../../../../src/cli/memory-trim.js';
import { anthropicCacheHints } from '../../../../src/proxy/providers/cache-hints.js';

describe('anthropicCacheHints', () => {
  it('counts the tools and system when asked, and holds nothing else of the body', async () => {
    const tools = [{ name: 'Bash', input_schema: {}, cache_control: { type: 'ephemeral' } }];
    const system = [{ type: 'text', text: 'You are terse.' }];
    const { hints, messages } = (() => {
      const body = { model: 'claude-sonnet-4-5', tools, system, messages: [{ role: 'user', content: 'hello' }] };
      return { hints: anthropicCacheHints(body), messages: new WeakRef(body.messages) };
    })();
    await new Promise((resolve) => setImmediate(resolve));
    fullCollection();
    // Held, the hints would keep the whole parsed body alive (a request's history, issue 11).
    expect(messages.deref()).toBeUndefined();
    expect(hints.prefixBytes?.()).toBe(Buffer.byteLength(JSON.stringify([tools, system])));
  });

  it('has no prefix to count without a breakpoint on the tools or system', () => {
    expect(anthropicCacheHints({ tools: [{ name: 'Bash' }], messages: [] }).prefixBytes?.()).toBeNull();
  });

  it('counts the breakpoints of a resent history as it would afresh, as markers move and messages come and go', () => {
    let x = 7;
    const next = (max: number): number => (x = (x * 1103515245 + 12345) % 2 ** 31) % max;
    const block = (): Record<string, unknown> => {
      const kind = next(4);
      return {
        type: 'text',
        text: 'x',
        ...(kind === 0 ? { cache_control: { type: 'ephemeral' } } : kind === 1 ? { cache_control: { type: 'ephemeral', ttl: '1h' } } : {}),
      };
    };
    let messages: unknown[] = [];
    for (let turn = 0; turn < 300; turn++) {
      const op = next(4);
      if (op === 0 && messages.length > 0)
        messages = [...messages.slice(0, -1), { role: 'user', content: [block()] }]; // the last one edited
      else if (op === 1) messages = messages.slice(0, Math.max(0, messages.length - 1 - next(3)));
      else messages = [...messages, { role: next(2) === 0 ? 'user' : 'assistant', content: next(5) === 0 ? 'plain' : [block(), block()] }];
      const body = { tools: [{ name: 'Bash', ...(turn % 7 === 0 ? { cache_control: { type: 'ephemeral' } } : {}) }], messages };
      const fresh = anthropicCacheHints(structuredClone(body));
      const resent = anthropicCacheHints(body);
      expect({ ...resent, prefixBytes: null }, `turn ${turn}`).toEqual({ ...fresh, prefixBytes: null });
    }
  });

  it('counts the breakpoints in messages, their longest TTL, and whether the last message has one', () => {
    const hour = { type: 'text', text: 'a', cache_control: { type: 'ephemeral', ttl: '1h' } };
    const five = { type: 'text', text: 'b', cache_control: { type: 'ephemeral' } };
    const hints = anthropicCacheHints({
      messages: [
        { role: 'user', content: [hour, five] },
        { role: 'user', content: 'plain' },
      ],
    });
    expect(hints).toMatchObject({ breakpoints: 2, ttl: '1h', throughEnd: false });
    expect(
      anthropicCacheHints({
        messages: [
          { role: 'user', content: 'x' },
          { role: 'user', content: [five] },
        ],
      }),
    ).toMatchObject({ breakpoints: 1, ttl: '5m', throughEnd: true });
  });
});
