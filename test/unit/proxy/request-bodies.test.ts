import { describe, expect, it } from 'vitest';
import { RequestBodies } from '../../../src/proxy/request-bodies.js';
import { historyLayout } from '../../../src/proxy/json-layout.js';

/** A deterministic source of numbers, so a failure can be replayed. */
function random(seed: number): (max: number) => number {
  let x = seed;
  return (max) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % max;
  };
}

// Text that looks like JSON structure inside strings: the layout must not read it as such.
const WORDS = ['ls', '[', ']', '{', '}', ',', '"', '\\', ':', 'é', '😀', '\n', 'ok', 'src/a.ts', '\\"]', '},{'];

function text(next: (max: number) => number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += WORDS[next(WORDS.length)];
  return out;
}

/** A message as agents send them: text, tool calls and results, nested arrays and numbers. */
function message(next: (max: number) => number, i: number): unknown {
  switch (next(4)) {
    case 0:
      return { role: 'user', content: text(next, 1 + next(30)) };
    case 1:
      return { role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${i}`, name: 'Bash', input: { command: text(next, 5), n: next(1000) / 7 } }] };
    case 2:
      return { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: text(next, 20), is_error: next(2) === 0 }] };
    default:
      return { role: 'assistant', content: [{ type: 'text', text: text(next, 10) }, [1, [2, [null, true, false]]], -1.5e-3] };
  }
}

/** A body with the history under `key`, other members before and after it, laid out with or without spaces. */
function body(history: unknown[], opts: { key?: string; spaced?: boolean; model?: string } = {}): Buffer {
  const key = opts.key ?? 'messages';
  const value = {
    model: opts.model ?? 'claude-sonnet-4-5',
    max_tokens: 1024,
    [key]: history,
    system: 'You are a coding agent. [{"x": 1}]',
    tools: [{ name: 'Bash', input_schema: { type: 'object' } }],
    stream: true,
  };
  return Buffer.from(opts.spaced ? JSON.stringify(value, null, 2) : JSON.stringify(value));
}

/** Parses `raw` and checks it reads as JSON.parse reads it. */
function expectParsed(bodies: RequestBodies, raw: Buffer, key: string | null = 'messages'): Record<string, unknown> | undefined {
  const got = bodies.parse(raw, key);
  let want: unknown;
  try {
    want = JSON.parse(raw.toString('utf8'));
  } catch {
    want = undefined;
  }
  const record = typeof want === 'object' && want !== null && !Array.isArray(want) ? want : undefined;
  expect(got, raw.toString('utf8').slice(0, 200)).toEqual(record);
  return got;
}

describe('RequestBodies: a resent conversation parsed only where it changed', () => {
  it('reads a growing conversation as JSON.parse does, parsing only the new messages', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const next = random(seed);
      const bodies = new RequestBodies();
      const spaced = seed % 3 === 0;
      const history: unknown[] = [];
      for (let turn = 0; turn < 12; turn++) {
        const added = 1 + next(3);
        for (let k = 0; k < added; k++) history.push(message(next, history.length));
        expectParsed(bodies, body(history, { spaced }));
      }
      // Every request after the first found the one before it.
      expect(bodies.counts).toMatchObject({ parsed: 12, reused: 11 });
      expect(bodies.entries).toBe(1);
    }
  });

  it('parses the new messages alone, commas between them, when messages are only added', () => {
    const next = random(9);
    const bodies = new RequestBodies();
    const history: unknown[] = [message(next, 0)];
    const first = body(history);
    expectParsed(bodies, first);
    let want = first.length;
    for (let turn = 0; turn < 10; turn++) {
      const added = Array.from({ length: 1 + next(3) }, (_, k) => message(next, history.length + k));
      history.push(...added);
      expectParsed(bodies, body(history));
      want += Buffer.byteLength(JSON.stringify(added)) - 2; // without the array's brackets
    }
    expect(bodies.counts).toEqual({ parsed: 11, reused: 10, bytesParsed: want });
  });

  it('follows a cache marker moved off the last message, as Claude Code moves it each turn', () => {
    const bodies = new RequestBodies();
    const history: Record<string, unknown>[] = [];
    for (let turn = 0; turn < 8; turn++) {
      for (const m of history) delete (m.content as Record<string, unknown>[])[0]!.cache_control;
      history.push({ role: 'user', content: [{ type: 'text', text: `turn ${turn}`, cache_control: { type: 'ephemeral' } }] });
      expectParsed(bodies, body(structuredClone(history)));
    }
    expect(bodies.counts.reused).toBe(7);
  });

  it('reads a changed start, a changed member after the history, and a shorter history whole', () => {
    const next = random(7);
    const history = Array.from({ length: 10 }, (_, i) => message(next, i));
    for (const later of [
      body(history, { model: 'claude-opus-4-1' }), // the model, before the history
      Buffer.from(body(history).toString().replace('"stream":true', '"stream":false')), // after it
      Buffer.from(body(history).toString().replace('coding agent', 'coding robot')), // after it, the same size
      body(history.slice(0, 6)), // messages dropped (a compacted conversation)
      body([...history.slice(0, 4), { role: 'user', content: 'edited' }, ...history.slice(5)]), // one in the middle
    ]) {
      const bodies = new RequestBodies();
      expectParsed(bodies, body(history));
      expectParsed(bodies, later);
    }
  });

  it('refuses what JSON.parse refuses, though the start matches a body read before', () => {
    const history = [{ role: 'user', content: 'a' }];
    const good = body(history).toString();
    const bad = [
      good.replace(/\}\],"system"/, '},],"system"'), // a trailing comma
      good.replace(/\}\],"system"/, '}{"role":"user"}],"system"'), // a missing comma
      good.replace(/\}\],"system"/, '},{"role":}],"system"'), // a broken message
      good.replace(/\}\],"system"/, '},"x"'), // the array never closes
      good.slice(0, -1), // the object never closes
    ];
    for (const b of bad) {
      const bodies = new RequestBodies();
      expectParsed(bodies, Buffer.from(good));
      expect(bodies.parse(Buffer.from(b), 'messages'), b).toBeUndefined();
    }
  });

  it('never changes a value it returned, when a later body reuses it', () => {
    const next = random(11);
    const bodies = new RequestBodies();
    const history = Array.from({ length: 5 }, (_, i) => message(next, i));
    const first = body(history);
    const value = bodies.parse(first, 'messages');
    history.push(message(next, 5));
    const second = bodies.parse(body(history), 'messages');
    expect(value).toEqual(JSON.parse(first.toString()));
    expect((second!.messages as unknown[]).length).toBe(6);
    expect((value!.messages as unknown[]).length).toBe(5);
  });

  it('keeps interleaved conversations apart, each reusing its own earlier body', () => {
    const next = random(5);
    const bodies = new RequestBodies();
    const a: unknown[] = [];
    const b: unknown[] = [];
    for (let turn = 0; turn < 6; turn++) {
      a.push(message(next, a.length));
      expectParsed(bodies, body(a, { model: 'claude-sonnet-4-5' }));
      b.push(message(next, b.length));
      expectParsed(bodies, body(b, { model: 'claude-haiku-4-5', key: 'messages' }));
    }
    expect(bodies.counts).toMatchObject({ parsed: 12, reused: 10 });
    expect(bodies.entries).toBe(2);
  });

  it('reads a history key named twice, or spelled with an escape, as JSON.parse does (the last one)', () => {
    const bodies = new RequestBodies();
    const twice = (extra: string): Buffer => Buffer.from(`{"messages":[{"role":"user","content":"a"}${extra}],"model":"m","messages":[1,2]}`);
    expectParsed(bodies, twice(''));
    expectParsed(bodies, twice(',{"role":"user","content":"b"}'));
    const escaped = (extra: string): Buffer => Buffer.from(`{"messages":[{"content":"a"}${extra}],"messag\\u0065s":[3]}`);
    expectParsed(bodies, escaped(''));
    expectParsed(bodies, escaped(',{"content":"b"}'));
    expect(bodies.counts.reused).toBe(0);
  });

  it('parses whole what has no history to reuse: other keys, no key, not an object', () => {
    const bodies = new RequestBodies();
    const history = [{ role: 'user', content: 'a' }];
    expectParsed(bodies, body(history, { key: 'contents' }), 'contents');
    expectParsed(bodies, body([...history, { role: 'model' }], { key: 'contents' }), 'messages');
    expectParsed(bodies, body(history), null);
    for (const raw of ['[1,2]', '"text"', 'not json', '', '{"messages":{"a":1}}', '{"messages":[1,2,3]} x']) expectParsed(bodies, Buffer.from(raw));
    expectParsed(bodies, Buffer.from('{"messages":[1,2,3],"model":"m"}'));
    expectParsed(bodies, Buffer.from('{"messages":[1,2,3,4],"model":"m"}'));
  });

  it('keeps at most its limits: the entries, and the bytes', () => {
    const bodies = new RequestBodies({ entries: 2, bytes: 400 });
    const one = (model: string, n: number): Buffer =>
      body(
        Array.from({ length: n }, (_, i) => ({ role: 'user', content: `m${i}` })),
        { model },
      );
    expectParsed(bodies, one('a', 1));
    expectParsed(bodies, one('b', 1));
    expectParsed(bodies, one('c', 1));
    // Only b and c are kept: a's next body is read whole.
    expectParsed(bodies, one('a', 2));
    expect(bodies.counts.reused).toBe(0);
    expectParsed(bodies, one('a', 3));
    expect(bodies.counts.reused).toBe(1);
    // A body past the byte limit is not kept at all, and the others stay.
    expectParsed(bodies, one('big', 40));
    expectParsed(bodies, one('big', 41));
    expect(bodies.counts.reused).toBe(1);
    expectParsed(bodies, one('a', 4));
    expect(bodies.counts.reused).toBe(2);
  });
});

describe('historyLayout', () => {
  it('finds each element of the history, strings with brackets and spaces included', () => {
    const raw = Buffer.from('{ "model" : "m" , "messages" : [ {"a":"]}"} , [1,[2]] ,"x\\"]" , 3.5e2 , null ] , "z":{"messages":[]} }');
    const layout = historyLayout(raw, 'messages')!;
    expect(raw[layout.open]).toBe(0x5b);
    expect(raw[layout.close]).toBe(0x5d);
    const starts = [layout.open + 1, ...layout.ends.slice(0, -1)];
    const elements = layout.ends.map((end, i) => raw.toString('utf8', starts[i], end).replace(/^\s*,?\s*/, ''));
    expect(elements).toEqual(['{"a":"]}"}', '[1,[2]]', '"x\\"]"', '3.5e2', 'null']);
  });

  it('finds none where the history is missing, not an array, or named twice', () => {
    expect(historyLayout(Buffer.from('{"model":"m"}'), 'messages')).toBeNull();
    expect(historyLayout(Buffer.from('{"messages":"no"}'), 'messages')).toBeNull();
    expect(historyLayout(Buffer.from('{"messages":[],"messages":[]}'), 'messages')).toBeNull();
    expect(historyLayout(Buffer.from('[{"messages":[]}]'), 'messages')).toBeNull();
    expect(historyLayout(Buffer.from('{"messages":[]}'), 'messages')).toEqual({ open: 12, close: 13, ends: [] });
  });
});
