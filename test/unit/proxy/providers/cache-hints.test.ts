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
});
