import { expect } from 'vitest';
import type { Provider } from '../../../../src/proxy/providers/types.js';
import { SseReader } from '../../../../src/proxy/sse-reader.js';

/** Characters a delta may hold: ASCII, JSON's escapes, accents, CJK, emoji, control characters, look-alike keys. */
const ALPHABET = [
  'a',
  'Z',
  ' ',
  '"',
  '\\',
  '/',
  '\n',
  '\t',
  '\r',
  '\b',
  '\f',
  '\u0001',
  '\u001f',
  'é',
  'ß',
  '中',
  '文',
  '😀',
  '𝄞',
  '\u2028',
  '\uffff',
  '{',
  '}',
  '[',
  ',"delta":"',
];

/** A deterministic string of `n` pieces drawn from ALPHABET (seeded, so a failure can be replayed). */
export function randomText(n: number, seed: number): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += ALPHABET[x % ALPHABET.length];
  }
  return out;
}

/** Each raw event is taken by the meter's byte path, and leaves the reading the parsed path leaves. */
export function expectSameReading(provider: Provider, raws: readonly Buffer[]): void {
  const fast = provider.createMeter({ injectedUsage: false });
  const slow = provider.createMeter({ injectedUsage: false });
  for (const raw of raws) {
    expect(fast.rawEvent!(raw), raw.toString()).toBe(true);
    for (const e of new SseReader().push(raw)) slow.event(e);
  }
  expect(fast.reading()).toEqual(slow.reading());
  expect(fast.reading().outputChars).toBeGreaterThan(0);
}
