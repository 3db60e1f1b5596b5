import { describe, expect, it } from 'vitest';
import { BudgetKeeper } from '../../../src/budget/keeper.js';
import type { ToolStep } from '../../../src/budget/tool-steps.js';
import { DEFAULT_POLICY } from '../../../src/budget/engine.js';
import { admitRequest } from '../../../src/proxy/admit.js';
import type { ProxyNotice } from '../../../src/proxy/exchange.js';
import { anthropic } from '../../../src/proxy/providers/anthropic.js';
import type { WindowGate } from '../../../src/proxy/server.js';
import { fullCollection } from '../../../src/cli/memory-trim.js';
import { ConversationMemory, type Seen } from '../../../src/proxy/conversations.js';
import { proxyDeps } from '../../helpers/proxy-deps.js';

const WINDOW = { kind: 'daily' as const, ceilingNano: 10, spentNano: 10, resetsAt: '2026-03-05T00:00:00.000Z' };

/** Real budget, prices and estimators; a window gate that is full `fullTimes` times (--on-limit pause) and then has room. */
function deps(fullTimes: number, onLoop: 'ask' | 'stop' | 'off' = 'stop') {
  const notices: ProxyNotice[] = [];
  const histories: (readonly ToolStep[])[] = [];
  let full = fullTimes;
  const window: WindowGate = {
    hold: () => Promise.resolve(full-- > 0 ? { ok: false, pause: true, window: WINDOW } : { ok: true }),
    release: () => undefined,
    waitForRoom: () => Promise.resolve(),
  };
  const d = proxyDeps({
    keeper: new BudgetKeeper({ usd: 5_000_000_000, tokens: null, actions: null }, { ...DEFAULT_POLICY, loop: { attempts: 3, onLoop } }),
    notify: (n) => notices.push(n),
    window,
    guards: {
      facts: (steps) => {
        histories.push(steps);
        return { loop: steps.length >= 3 ? { id: 'make@0', step: 'make', count: steps.length, lastError: 'error: x' } : null, filesRead: 0 };
      },
    },
  });
  return { deps: d, notices, histories };
}

const failing = (n: number): unknown[] =>
  Array.from({ length: n }, (_, i) => [
    { role: 'assistant', content: [{ type: 'tool_use', id: `t${i}`, name: 'Bash', input: { command: 'make' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: `t${i}`, content: 'Exit code 2\nerror: x', is_error: true }] },
  ]).flat();

const body = (history: unknown[]) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 1000,
  tools: [
    { name: 'WebSearch', input_schema: {} },
    { name: 'Bash', input_schema: {} },
  ],
  messages: [{ role: 'user', content: 'fix the build' }, ...history],
});

describe('admitRequest', () => {
  it('reads a request once however often a window wait decides it again: one notice, one history read', async () => {
    const { deps: d, notices, histories } = deps(2);
    const json = body(failing(1));
    const admit = await admitRequest(d, anthropic, json, '/v1/messages', Buffer.from(JSON.stringify(json)), () => undefined);
    expect(admit).toMatchObject({ ok: true });
    expect(notices.filter((n) => n.type === 'tools-removed')).toEqual([{ type: 'tools-removed', names: ['WebSearch'] }]);
    expect(notices.filter((n) => n.type === 'window-wait')).toHaveLength(2);
    expect(histories).toHaveLength(1);
    expect(histories[0]!.map(({ id, name, input, output, failed }) => ({ id, name, input, output, failed }))).toEqual([
      { id: 't0', name: 'Bash', input: '{"command":"make"}', output: 'Exit code 2\nerror: x', failed: true },
    ]);
    // the request went out without the restricted tool
    expect(admit?.ok && (admit.body.tools as { name: string }[]).map((t) => t.name)).toEqual(['Bash']);
  });

  it('refuses the request that carries a retry loop, in the provider’s status, with the words that say why', async () => {
    const { deps: d } = deps(0);
    const json = body(failing(3));
    const admit = await admitRequest(d, anthropic, json, '/v1/messages', Buffer.from(JSON.stringify(json)), () => undefined);
    expect(admit).toEqual({
      ok: false,
      status: anthropic.limitStatus,
      notify: true,
      message: expect.stringMatching(/^capped: the same failing step `make` ran 3 times in a row \(last error: error: x\)\./) as unknown,
    });
    expect(d.keeper.state.hardStop).toMatchObject({ reason: 'loop', detail: 'the same failing step `make` ran 3 times: error: x' });
  });
});

describe('admitRequest and the ledger', () => {
  it('asks for the reservation row only when the caller says the request is sent, and does not wait for it', async () => {
    const { deps: d } = deps(0);
    const asked: string[] = [];
    // A ledger that never finishes its write: the request must go out all the same.
    d.reserve = (id, provider) => {
      asked.push(`${provider}:${id}`);
      return new Promise<void>(() => undefined);
    };
    const json = body([]);
    const admit = await admitRequest(d, anthropic, json, '/v1/messages', Buffer.from(JSON.stringify(json)), () => undefined);
    expect(admit).toMatchObject({ ok: true });
    // Building the row waits until the request is on its way (issue 11).
    expect(asked).toEqual([]);
    if (!admit?.ok) throw new Error('not admitted');
    admit.sent();
    expect(asked).toEqual([`anthropic:${admit.admitted.id}`]);
  });

  it('keeps no parsed body alive in the conversation memory once a request is decided', async () => {
    const kept: Seen[] = [];
    const memory = new ConversationMemory();
    const d = proxyDeps({
      conversations: Object.assign(memory, {
        sent: (seen: Seen) => {
          kept.push(seen);
          ConversationMemory.prototype.sent.call(memory, seen);
        },
      }),
    });
    // A cache breakpoint on the system prompt: its hints can count the prefix's bytes when asked.
    const { json, parsed, raw } = (() => {
      const json = { ...body(failing(2)), system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }] };
      return { json: new WeakRef(json), parsed: new WeakRef(json.messages), raw: Buffer.from(JSON.stringify(json)) };
    })();
    await (async () => {
      const admit = await admitRequest(d, anthropic, json.deref()!, '/v1/messages', raw, () => undefined);
      expect(admit).toMatchObject({ ok: true });
    })();
    await new Promise((resolve) => setImmediate(resolve));
    fullCollection();
    expect(kept).toHaveLength(1);
    expect(kept[0]!.body).toBe(raw);
    // Each request kept (eight a model) held its whole parsed body before (issue 11).
    expect(json.deref()).toBeUndefined();
    expect(parsed.deref()).toBeUndefined();
  });
});
