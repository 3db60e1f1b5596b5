import { describe, expect, it } from 'vitest';
import { simdStretches, type StretchReader } from '../../../../src/proxy/providers/json-string-stretch.js';
import { bytesAt, closedString, holdsNoneOf, jsonStringLength, stringEnd } from '../../../../src/proxy/providers/raw-json.js';
import { randomText } from './raw-events.js';

/** A JSON string body (what lies between the quotes) in an event-like buffer, and where it ends. */
function framed(body: string): { raw: Buffer; start: number; end: number } {
  const head = Buffer.from('data: {"text":"');
  const raw = Buffer.concat([head, Buffer.from(body), Buffer.from('"}\n\n')]);
  return { raw, start: head.length, end: head.length + Buffer.byteLength(body) };
}

// Long bodies are read by the WebAssembly stretch reader, or where there is none by native calls.
const READERS: [string, StretchReader | null][] = [
  ['the WebAssembly reader', simdStretches()],
  ['native calls', null],
];

describe.each(READERS)('jsonStringLength: a JSON string measured from its bytes (long bodies: %s)', (_name, reader) => {
  const measure = (body: string): number | null => {
    const { raw, start, end } = framed(body);
    return jsonStringLength(raw, start, end, reader);
  };

  // Bodies up to 256 bytes are measured by a JavaScript loop, longer ones by the reader; the
  // lengths here fall on both sides of that line, and both must agree with JSON.parse.
  it('counts what JSON.parse counts, for short and long bodies alike', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const text = randomText(seed % 5 === 0 ? 200 + seed * 3 : seed % 120, seed);
      const body = JSON.stringify(text).slice(1, -1);
      expect(measure(body), body).toBe(text.length);
    }
  });

  it('refuses the same malformed bodies on both paths', () => {
    const bad = ['a"b', 'a\\\\"b', '\\x', '\\u12', '\\u12G4', 'end\\', 'é\u0001'];
    for (const b of bad) {
      expect(measure(b), b).toBeNull();
      expect(measure('y'.repeat(300) + b), `long ${b}`).toBeNull();
      expect(measure(b + 'y'.repeat(300)), `long ${b}…`).toBeNull();
    }
  });

  it('counts a raw control character in ASCII text as one character, on both paths', () => {
    // A misbehaving upstream's tab: the native path counts ASCII without a byte loop.
    expect(measure('a\tb')).toBe(3);
    expect(measure(`a\tb${'y'.repeat(300)}`)).toBe(303);
  });

  it('refuses a body whose closing quote is not where the caller says', () => {
    const { raw, start, end } = framed('abc');
    expect(jsonStringLength(raw, start, end - 1, reader)).toBeNull();
    const long = framed('y'.repeat(300));
    expect(jsonStringLength(long.raw, long.start, long.end - 1, reader)).toBeNull();
    expect(jsonStringLength(long.raw, long.start, long.end + 1, reader)).toBeNull();
    // No quote at all: the body runs to the buffer's end.
    const open = Buffer.from(`{"text":"${'y'.repeat(300)}`);
    expect(jsonStringLength(open, 9, open.length, reader)).toBeNull();
  });
});

describe.each(READERS)('closedString: a JSON string read up to its closing quote (%s)', (_name, reader) => {
  it('measures as jsonStringLength measures up to the quote stringEnd finds, and ends there, well-formed or not', () => {
    const tails = ['"}\n\n', `","logprobs":[],"obfuscation":"${'x'.repeat(300)}"}\n\n`, '', '\\"}'];
    const faults = ['', '\\x', 'é\u0001', '\\u12'];
    for (let seed = 1; seed <= 40; seed++) {
      const text = randomText(seed % 2 === 0 ? 200 + seed * 3 : seed * 2, seed);
      for (const fault of faults) {
        for (const tail of tails) {
          const raw = Buffer.from(`data: {"delta":"${JSON.stringify(text).slice(1, -1)}${fault}${tail}`);
          const start = raw.indexOf('{"delta":"') + 10;
          const end = stringEnd(raw, start);
          const want = end === -1 ? null : jsonStringLength(raw, start, end, reader);
          expect(closedString(raw, start, reader), raw.toString()).toEqual(want === null ? null : { units: want, end });
          if (fault === '' && end !== -1) expect(want).toBe(text.length);
        }
      }
    }
  });
});

describe('holdsNoneOf', () => {
  const words = [Buffer.from('functionCall')];
  it('is false for text holding a word anywhere, or any \\u escape, which could spell one', () => {
    expect(holdsNoneOf(Buffer.from('{"text":"hi"}'), words)).toBe(true);
    expect(holdsNoneOf(Buffer.from('{"functionCall":{}}'), words)).toBe(false);
    expect(holdsNoneOf(Buffer.from('{"text":"a functionCall"}'), words)).toBe(false);
    expect(holdsNoneOf(Buffer.from('{"function\\u0043all":{}}'), words)).toBe(false);
    expect(JSON.parse('{"function\\u0043all":{}}')).toHaveProperty('functionCall');
    expect(holdsNoneOf(Buffer.from('{"text":"caf\\u00e9"}'), words)).toBe(false);
    expect(holdsNoneOf(Buffer.from('{"text":"line\\nnext"}'), words)).toBe(true);
  });
});

describe('bytesAt', () => {
  it('finds a part only where all of it lies inside the buffer', () => {
    const raw = Buffer.from('event: ping\n\n');
    expect(bytesAt(raw, Buffer.from('ping'), 7)).toBe(true);
    expect(bytesAt(raw, Buffer.from('ping'), 6)).toBe(false);
    expect(bytesAt(raw, Buffer.from('\n\n'), raw.length - 2)).toBe(true);
    expect(bytesAt(raw, Buffer.from('\n\n\n'), raw.length - 2)).toBe(false);
    expect(bytesAt(raw, Buffer.from('e'), -1)).toBe(false);
  });
});
