import { describe, expect, it } from 'vitest';
import { spliceTopLevel } from '../../../src/proxy/body-splice.js';
import { mulberry32 } from '../helpers/prng.js';

const parse = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

describe('spliceTopLevel', () => {
  const raw = Buffer.from('{ "model" : "claude-opus-4-1",\n  "max_tokens":32000, "messages":[{"role":"user","content":"say \\"hi\\" {[,]}"}],"stream":true }');
  const prev = parse(raw) as Record<string, unknown>;

  it('re-encodes only the members whose value changed, keeping the bytes of the others', () => {
    const out = spliceTopLevel(raw, prev, { ...prev, model: 'claude-sonnet-4-5', max_tokens: 900 })!;
    expect(parse(out)).toEqual({ ...prev, model: 'claude-sonnet-4-5', max_tokens: 900 });
    expect(out.toString()).toContain('"messages":[{"role":"user","content":"say \\"hi\\" {[,]}"}]');
    expect(out.toString()).toContain('"model" : "claude-sonnet-4-5"');
  });

  it('cuts out a member removed (or set to undefined) and puts an added one last', () => {
    const next: Record<string, unknown> = { ...prev, stream_options: { include_usage: true }, stream: undefined };
    delete next.max_tokens;
    const out = spliceTopLevel(raw, prev, next)!;
    expect(parse(out)).toEqual({ model: prev.model, messages: prev.messages, stream_options: { include_usage: true } });
    expect(out.toString().endsWith('"stream_options":{"include_usage":true}}')).toBe(true);
  });

  it('handles an empty object and an edit that leaves nothing', () => {
    const empty = Buffer.from(' {} ');
    expect(parse(spliceTopLevel(empty, {}, { a: 1 })!)).toEqual({ a: 1 });
    expect(parse(spliceTopLevel(raw, prev, {})!)).toEqual({});
  });

  it('adds members before the closing brace without reading the rest, keeping every byte before it', () => {
    const text = '{"a\\u0062" : [1, "}"] }\n';
    const ab = [1, '}'];
    const out = spliceTopLevel(Buffer.from(text), { ab }, { ab, c: { d: true } })!;
    expect(out.toString()).toBe('{"a\\u0062" : [1, "}"] ,"c":{"d":true}}');
    expect(parse(out)).toEqual({ ab: [1, '}'], c: { d: true } });
  });

  it('declines a member to replace or remove when a key has an escape, comes twice or is __proto__', () => {
    for (const text of ['{"a\\u0062":1,"c":2}', '{"a":1,"a":2}', '{"__proto__":1,"c":2}']) {
      const prevOf = JSON.parse(text) as Record<string, unknown>;
      const replaced = Object.fromEntries(Object.keys(prevOf).map((key) => [key, 3]));
      expect(spliceTopLevel(Buffer.from(text), prevOf, replaced), text).toBeNull();
      expect(spliceTopLevel(Buffer.from(text), prevOf, {}), text).toBeNull();
    }
  });

  it('gives what JSON.stringify of the edited body parses to, on 500 random bodies and edits', () => {
    const rand = mulberry32(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const word = (): string => pick(['a', 'b "q"', 'c\\d', 'é', '🐬', '{[,]}', 'line\nbreak', '\\"', '']);
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 2 || r < 0.3) return pick([0, -1.5e3, 12, true, false, null, word()]);
      if (r < 0.65) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i}${word()}`, value(depth + 1)]));
    };
    const spaced = (v: unknown): string => JSON.stringify(v, null, pick([0, 1, '\t', ' \n ']));
    for (let n = 0; n < 500; n++) {
      const original = Object.fromEntries(Array.from({ length: 1 + Math.floor(rand() * 6) }, (_, i) => [`m${i}`, value(0)]));
      const bytes = Buffer.from(spaced(original));
      const prevOf = parse(bytes) as Record<string, unknown>;
      const next: Record<string, unknown> = { ...prevOf };
      for (const key of Object.keys(prevOf)) {
        const r = rand();
        if (r < 0.2) delete next[key];
        else if (r < 0.4) next[key] = value(0);
      }
      if (rand() < 0.3) next.added = value(0);
      const out = spliceTopLevel(bytes, prevOf, next);
      expect(out, bytes.toString()).not.toBeNull();
      expect(parse(out!)).toEqual(JSON.parse(JSON.stringify(next)));
    }
  });
});
