import { describe, expect, it } from 'vitest';
import { SseReader, type SseEvent } from '../../../src/proxy/sse-reader.js';
import { mulberry32, randInt } from '../helpers/prng.js';

const MESSAGE_START =
  '{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",' +
  '"content":[],"stop_reason":null,"usage":{"input_tokens":2500,"cache_creation_input_tokens":1000,"cache_read_input_tokens":30000,' +
  '"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":1000},"output_tokens":1}}}';
const TEXT_DELTA = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Héllo wörld — 日本語 🎉👩‍💻"}}';
const TOOL_START = '{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"Bash","input":{}}}';
const TOOL_DELTA = '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"command\\": \\"ls ∂\\"}"}}';
const MESSAGE_DELTA =
  '{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":2500,' +
  '"cache_creation_input_tokens":1000,"cache_read_input_tokens":30000,"output_tokens":87}}';

/** A realistic Anthropic stream with pings, a comment, a multi-line data field and no final blank line. */
const STREAM = [
  'event: message_start',
  `data: ${MESSAGE_START}`,
  '',
  'event: ping',
  'data: {"type": "ping"}',
  '',
  ': keep-alive comment with ünïcödé',
  '',
  'event: content_block_start',
  'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
  '',
  'event: content_block_delta',
  `data: ${TEXT_DELTA}`,
  '',
  'event: content_block_stop',
  'data: {"type":"content_block_stop","index":0}',
  '',
  'event: content_block_start',
  `data: ${TOOL_START}`,
  '',
  'event: content_block_delta',
  `data:${TOOL_DELTA}`,
  '',
  'id: 7',
  'retry: 1000',
  'event: multi',
  'data: first line',
  ': a comment between data lines',
  'data:  second line keeps one leading space',
  'data',
  '',
  'event: message_delta',
  `data: ${MESSAGE_DELTA}`,
  '',
  'event: message_stop',
  'data: {"type":"message_stop"}',
].join('\n');

const EXPECTED: SseEvent[] = [
  { event: 'message_start', data: MESSAGE_START },
  { event: 'ping', data: '{"type": "ping"}' },
  { event: 'content_block_start', data: '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}' },
  { event: 'content_block_delta', data: TEXT_DELTA },
  { event: 'content_block_stop', data: '{"type":"content_block_stop","index":0}' },
  { event: 'content_block_start', data: TOOL_START },
  { event: 'content_block_delta', data: TOOL_DELTA },
  { event: 'multi', data: 'first line\n second line keeps one leading space\n' },
  { event: 'message_delta', data: MESSAGE_DELTA },
  { event: 'message_stop', data: '{"type":"message_stop"}' },
];

/** Feeds `chunks` in order, then ends the stream; returns every event. */
function feed(chunks: (Buffer | string)[]): SseEvent[] {
  const reader = new SseReader();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...reader.push(chunk));
  events.push(...reader.end());
  return events;
}

/** Splits bytes at random points (seeded). */
function randomSplits(bytes: Buffer, seed: number, maxLen: number): Buffer[] {
  const rand = mulberry32(seed);
  const out: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = randInt(rand, 1, maxLen);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

const bytesOf = (text: string): Buffer => Buffer.from(text, 'utf8');
const byteByByte = (bytes: Buffer): Buffer[] => [...bytes].map((b) => Buffer.from([b]));

describe('SseReader', () => {
  it('parses a whole Anthropic stream into its events', () => {
    expect(feed([bytesOf(STREAM)])).toEqual(EXPECTED);
    expect(feed([STREAM])).toEqual(EXPECTED);
  });

  it('gives identical events when fed byte by byte', () => {
    expect(feed(byteByByte(bytesOf(STREAM)))).toEqual(EXPECTED);
  });

  it('gives identical events for random splits', () => {
    const bytes = bytesOf(STREAM);
    for (const seed of [1, 2, 3, 42, 1337, 9001]) {
      for (const maxLen of [2, 7, 64]) {
        expect(feed(randomSplits(bytes, seed, maxLen)), `seed ${seed} max ${maxLen}`).toEqual(EXPECTED);
      }
    }
  });

  it('handles CRLF line endings, even with the CR and LF in different chunks', () => {
    const crlf = bytesOf(STREAM.replace(/\n/g, '\r\n'));
    expect(feed([crlf])).toEqual(EXPECTED);
    expect(feed(byteByByte(crlf))).toEqual(EXPECTED);
    // split right after every CR
    const chunks: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < crlf.length; i++) {
      if (crlf[i] === 0x0d) {
        chunks.push(crlf.subarray(start, i + 1));
        start = i + 1;
      }
    }
    chunks.push(crlf.subarray(start));
    expect(chunks.length).toBeGreaterThan(30);
    expect(feed(chunks)).toEqual(EXPECTED);
    for (const seed of [5, 6, 7]) expect(feed(randomSplits(crlf, seed, 5))).toEqual(EXPECTED);
  });

  it('handles lone CR line endings', () => {
    const cr = bytesOf(STREAM.replace(/\n/g, '\r'));
    expect(feed([cr])).toEqual(EXPECTED);
    expect(feed(byteByByte(cr))).toEqual(EXPECTED);
  });

  it('reads a CR followed by CRLF as two line endings, across chunks', () => {
    expect(feed(['data: a\r', '\r\n', 'data: b\r\n\r\n'])).toEqual([
      { event: null, data: 'a' },
      { event: null, data: 'b' },
    ]);
  });

  it('keeps multi-byte UTF-8 characters whole at every split point', () => {
    const text = `event: content_block_delta\ndata: ${TEXT_DELTA}\n\n`;
    const bytes = bytesOf(text);
    const expected = [{ event: 'content_block_delta', data: TEXT_DELTA }];
    for (let i = 1; i < bytes.length; i++) {
      expect(feed([bytes.subarray(0, i), bytes.subarray(i)]), `split at ${i}`).toEqual(expected);
    }
    // a 4-byte emoji in four pushes
    const emoji = bytesOf('data: 🎉\n\n');
    const at = emoji.indexOf(0xf0);
    expect(feed([emoji.subarray(0, at + 1), emoji.subarray(at + 1, at + 2), emoji.subarray(at + 2, at + 3), emoji.subarray(at + 3)])).toEqual([
      { event: null, data: '🎉' },
    ]);
  });

  it('returns events as soon as their blank line arrives', () => {
    const reader = new SseReader();
    expect(reader.push('event: ping\ndata: {"type":"ping"}\n')).toEqual([]);
    expect(reader.push('\n')).toEqual([{ event: 'ping', data: '{"type":"ping"}' }]);
    expect(reader.push('data: x\n\ndata: y\n\ndata: z')).toEqual([
      { event: null, data: 'x' },
      { event: null, data: 'y' },
    ]);
    expect(reader.end()).toEqual([{ event: null, data: 'z' }]);
  });

  it('dispatches an unterminated last event at end(), with or without a final newline', () => {
    expect(feed(['event: message_stop\ndata: {"type":"message_stop"}'])).toEqual([{ event: 'message_stop', data: '{"type":"message_stop"}' }]);
    expect(feed(['event: message_stop\ndata: {"type":"message_stop"}\n'])).toEqual([{ event: 'message_stop', data: '{"type":"message_stop"}' }]);
    expect(feed(['event: message_stop\r\ndata: done\r'])).toEqual([{ event: 'message_stop', data: 'done' }]);
  });

  it('dispatches nothing for comments, empty streams or events without data', () => {
    expect(feed([])).toEqual([]);
    expect(feed([': just a comment\n\n: another\n\n'])).toEqual([]);
    expect(feed(['event: lonely\n\n'])).toEqual([]);
    expect(feed(['\n\n\n'])).toEqual([]);
  });

  it('does not carry an event name over to the next event', () => {
    expect(feed(['event: first\ndata: 1\n\ndata: 2\n\n'])).toEqual([
      { event: 'first', data: '1' },
      { event: null, data: '2' },
    ]);
    // a named event without data does not name the next one either
    expect(feed(['event: nothing\n\ndata: 3\n\n'])).toEqual([{ event: null, data: '3' }]);
  });

  it('strips exactly one space after the colon and keeps colons in the value', () => {
    expect(feed(['data:  two spaces\n\ndata:none\n\ndata: a: b\n\n'])).toEqual([
      { event: null, data: ' two spaces' },
      { event: null, data: 'none' },
      { event: null, data: 'a: b' },
    ]);
  });

  it('ignores unknown fields and never throws on garbage', () => {
    const garbage = Buffer.from([0xff, 0xfe, 0x0a, 0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xc3, 0x0a, 0x0a, 0x00]);
    expect(() => feed([garbage])).not.toThrow();
    expect(feed(['foo: bar\nbaz\ndata: ok\n\n'])).toEqual([{ event: null, data: 'ok' }]);
  });
});
