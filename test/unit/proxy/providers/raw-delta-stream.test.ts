import { describe, expect, it } from 'vitest';
import { deltaLayout as anthropicLayout, deltaTextLength } from '../../../../src/proxy/providers/anthropic-delta.js';
import { RawDeltaStream, type DeltaLayout } from '../../../../src/proxy/providers/raw-delta-stream.js';
import { simdStretches } from '../../../../src/proxy/providers/json-string-stretch.js';
import { JsonStringScan } from '../../../../src/proxy/providers/raw-json.js';
import { deltaLayout as responsesLayout, responsesDeltaLength } from '../../../../src/proxy/providers/responses-delta.js';
import { randomText } from './raw-events.js';

const TYPES = new Set(['response.output_text.delta', 'response.function_call_arguments.delta']);

const anthropicEvent = (text: string, index = 0): Buffer =>
  Buffer.from(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } })}\n\n`);

const responsesEvent = (delta: string, seed: number): Buffer => {
  const type = 'response.output_text.delta';
  const data = {
    type,
    sequence_number: seed,
    item_id: `msg_${seed}`,
    output_index: 0,
    content_index: 0,
    delta,
    logprobs: [],
    obfuscation: 'x'.repeat(seed % 9),
  };
  return Buffer.from(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
};

/** A deterministic source of cut points, so a failure can be run again. */
function cutter(seed: number): (max: number) => number {
  let x = seed;
  return (max) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 1 + (x % max);
  };
}

/** Feeds `raw` to a stream in random pieces: what it counted (null when it left the event to the usual way), and its bytes. */
function streamed(layout: DeltaLayout, raw: Buffer, seed: number): { chars: number | null; bytes: Buffer; allowed: number } {
  const reading = { outputChars: 0 };
  const stream = new RawDeltaStream(layout, reading);
  const next = cutter(seed);
  const maxPiece = seed % 3 === 0 ? 4 : seed % 3 === 1 ? 40 : 4000;
  let allowed = 0;
  for (let at = 0; at < raw.length;) {
    const size = next(maxPiece);
    stream.push(raw.subarray(at, at + size));
    at += size;
    // What may go only grows, and never past what has arrived.
    expect(stream.allowed()).toBeGreaterThanOrEqual(allowed);
    expect(stream.allowed()).toBeLessThanOrEqual(at);
    allowed = stream.allowed();
  }
  const metered = stream.end();
  // Nothing is added to the reading unless the event was metered from its pieces.
  if (!metered) expect(reading.outputChars).toBe(0);
  // What went and what was held are the event, byte for byte.
  expect(Buffer.concat([raw.subarray(0, allowed), stream.held(allowed)]).equals(raw)).toBe(true);
  return { chars: metered ? reading.outputChars : null, bytes: stream.bytes(), allowed };
}

describe('RawDeltaStream: a delta metered from its pieces as they pass', () => {
  it('counts an Anthropic delta as deltaTextLength counts it whole, however it is cut (escapes and characters split across pieces)', () => {
    for (let seed = 1; seed <= 600; seed++) {
      // Short texts, and long ones past the native-path line and the 1 KB head.
      const text = randomText(seed % 5 === 0 ? 400 + seed : seed % 97, seed);
      const raw = anthropicEvent(text, seed % 13);
      const got = streamed(anthropicLayout, raw, seed);
      expect(got.chars, JSON.stringify(text)).toBe(deltaTextLength(raw));
      expect(got.chars).toBe(text.length);
      expect(got.bytes.equals(raw)).toBe(true);
      // Once its head had come, all but the tail from the text's closing quote could go.
      if (raw.length - 5 >= anthropicLayout.headBytes) expect(got.allowed).toBe(raw.length - '"}}\n\n'.length);
    }
  });

  it('counts a Responses delta as responsesDeltaLength counts it whole, however it is cut', () => {
    for (let seed = 1; seed <= 600; seed++) {
      const delta = randomText(seed % 5 === 0 ? 400 + seed : seed % 89, seed);
      const raw = responsesEvent(delta, seed);
      const got = streamed(responsesLayout(TYPES), raw, seed);
      expect(got.chars, JSON.stringify(delta)).toBe(responsesDeltaLength(raw, TYPES));
      expect(got.chars).toBe(delta.length);
    }
  });

  it('leaves to the usual way, with every byte, what the whole-event reading leaves to it', () => {
    const bodies = ['a"b', 'a\\\\"b', '\\x', '\\u12', '\\u12G4', 'end\\', 'é\u0001'];
    const raws = [
      ...bodies.map((b) =>
        Buffer.from(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${b}"}}\n\n`),
      ),
      // Another layout: extra field, key order, CRLF, no event line, a cut-off event.
      Buffer.from('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi","x":1}}\n\n'),
      Buffer.from('event: content_block_delta\ndata: {"index":0,"type":"content_block_delta","delta":{"type":"text_delta","text":"hi"}}\n\n'),
      Buffer.from('event: content_block_delta\r\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\r\n\r\n'),
      Buffer.from('data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n'),
      Buffer.from(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${'y'.repeat(5000)}"}}\n`),
      Buffer.from(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${'y'.repeat(5000)}`),
    ];
    for (const raw of raws) {
      expect(deltaTextLength(raw), raw.toString()).toBeNull();
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const got = streamed(anthropicLayout, raw, seed);
        expect(got.chars, raw.toString()).toBeNull();
        expect(got.bytes.equals(raw)).toBe(true);
      }
    }
    // With another head (CRLF), nothing of it may go before it is whole.
    expect(streamed(anthropicLayout, raws.at(-4)!, 1).allowed).toBe(0);
    // Responses: a line end inside the data, and a delta key that had not arrived with the first
    // kilobyte (pieces of at most 40 bytes here).
    const twoLines = Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"a\nb"}\n\n');
    expect(streamed(responsesLayout(TYPES), twoLines, 1).chars).toBeNull();
    const late = Buffer.from(
      responsesEvent('late', 1)
        .toString()
        .replace('"item_id":"msg_1"', `"item_id":"${'m'.repeat(2000)}"`),
    );
    expect(responsesDeltaLength(late, TYPES)).toBe(4);
    const got = streamed(responsesLayout(TYPES), late, 1);
    expect(got.chars).toBeNull();
    expect(got.bytes.equals(late)).toBe(true);
    // A second type after the delta, with a function call: JSON.parse makes it that event.
    const smuggled = Buffer.from(
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"${'z'.repeat(3000)}","type":"response.output_item.done","item":{"type":"function_call","name":"shell","arguments":"{}"}}\n\n`,
    );
    for (const seed of [1, 2, 3]) {
      const got = streamed(responsesLayout(TYPES), smuggled, seed);
      expect(got.chars).toBeNull();
      // The text went on as it came; nothing from its closing quote on.
      expect(got.allowed).toBe(smuggled.indexOf('","type":"response.output_item.done"'));
    }
  });
});

describe('JsonStringScan', () => {
  it('counts what JSON.parse counts, fed in pieces of any size, with the WebAssembly reader and without', () => {
    for (const reader of [simdStretches(), null]) {
      for (let seed = 1; seed <= 200; seed++) {
        const text = randomText(seed % 4 === 0 ? 3000 + seed * 50 : seed * 7, seed);
        const raw = Buffer.from(`${JSON.stringify(text).slice(1)}}}`);
        const scan = new JsonStringScan(reader);
        const next = cutter(seed);
        const maxPiece = seed % 3 === 0 ? 7 : seed % 3 === 1 ? 300 : 70_000;
        let after = -1;
        for (let at = 0; at < raw.length && after === -1;) {
          const size = next(maxPiece);
          const end = scan.feed(raw.subarray(at, at + size));
          if (end !== -1) after = at + end;
          at += size;
        }
        expect(scan.state, `seed ${seed}`).toBe('closed');
        expect(after).toBe(raw.length - 2);
        expect(scan.units, `seed ${seed}`).toBe(text.length);
      }
    }
  });

  it('stops at the closing quote, not at an escaped one, across pieces', () => {
    const scan = new JsonStringScan();
    expect(scan.feed(Buffer.from('ab\\'))).toBe(-1);
    expect(scan.feed(Buffer.from('"c\\u00'))).toBe(-1);
    expect(scan.feed(Buffer.from('e9"}}'))).toBe(3);
    expect(scan.state).toBe('closed');
    expect(scan.units).toBe((JSON.parse('"ab\\"c\\u00e9"') as string).length);
  });

  it('stops and refuses alike with the WebAssembly reader and without, in pieces past the JavaScript loop’s line', () => {
    const long = 'y'.repeat(300);
    const cases: [string[], 'closed' | 'bad' | 'open', number][] = [
      [[`${long}ab\\`, '"c\\u00', `e9${long}"}}`], 'closed', 300 + 2 + 1 + 1 + 1 + 300],
      [[`${long}\\u0`, `0zz${long}"`], 'bad', 0],
      [[`${long}\\x${long}`], 'bad', 0],
      [[`${long}é\u0001${long}`], 'bad', 0],
      [[`${long}\t${long}"`], 'closed', 601], // a raw tab in ASCII text counts as one
      [[`${long}\\`], 'open', 300],
      [[`${long}\\u0z`], 'bad', 0], // an escape cut by the piece's end, already wrong
    ];
    for (const reader of [simdStretches(), null]) {
      for (const [pieces, state, units] of cases) {
        const scan = new JsonStringScan(reader);
        for (const piece of pieces) scan.feed(Buffer.from(piece));
        expect(scan.state, pieces.join('|')).toBe(state);
        if (state !== 'bad') expect(scan.units, pieces.join('|')).toBe(units);
      }
    }
  });

  it('refuses an escape JSON does not allow, even when it is split', () => {
    const scan = new JsonStringScan();
    scan.feed(Buffer.from('ab\\u0'));
    scan.feed(Buffer.from('0zz"'));
    expect(scan.bad()).toBe(true);
  });
});
