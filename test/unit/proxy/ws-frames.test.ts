import { describe, expect, it } from 'vitest';
import { encodeFrame, maskInPlace, MessageAssembler, OP, WsFrameParser } from '../../../src/proxy/ws-frames.js';

const MASK = Buffer.from([1, 2, 3, 4]);

describe('WebSocket frames', () => {
  it.each([0, 5, 125, 126, 65535, 65536, 200_000])('round-trips a %i-byte payload, masked and unmasked', (size) => {
    const payload = Buffer.alloc(size, 'a');
    for (const mask of [null, MASK]) {
      const frame = encodeFrame(OP.text, payload, mask);
      const parsed = new WsFrameParser().push(frame);
      expect(parsed).toHaveLength(1);
      expect(parsed[0]!.payload.equals(payload)).toBe(true);
      expect(parsed[0]!.raw.equals(frame)).toBe(true);
      expect(parsed[0]!.fin).toBe(true);
      expect(parsed[0]!.opcode).toBe(OP.text);
    }
  });

  it('masks client frames as RFC 6455 requires', () => {
    const frame = encodeFrame(OP.text, Buffer.from('hi'), MASK);
    expect(frame[1]! & 0x80).toBe(0x80);
    expect([...frame.subarray(2, 6)]).toEqual([1, 2, 3, 4]);
    expect([...frame.subarray(6)]).toEqual(['h'.charCodeAt(0) ^ 1, 'i'.charCodeAt(0) ^ 2]);
  });

  it('parses frames split anywhere, including several in one chunk', () => {
    const a = encodeFrame(OP.text, Buffer.from('{"type":"response.created"}'), MASK);
    const b = encodeFrame(OP.ping, Buffer.from(''), null);
    const c = encodeFrame(OP.text, Buffer.alloc(70_000, 'z'), null);
    const all = Buffer.concat([a, b, c]);
    const parser = new WsFrameParser();
    const frames = [];
    for (let i = 0; i < all.length; i += 7) frames.push(...parser.push(all.subarray(i, i + 7)));
    expect(frames.map((f) => f.opcode)).toEqual([OP.text, OP.ping, OP.text]);
    expect(frames[0]!.payload.toString()).toBe('{"type":"response.created"}');
    expect(frames[2]!.payload.length).toBe(70_000);
  });

  it('reassembles fragmented messages and lets control frames through between fragments', () => {
    const first = encodeFrame(OP.text, Buffer.from('{"a":'), null);
    first[0] = first[0]! & 0x7f; // not final
    const middle = encodeFrame(OP.continuation, Buffer.from('1'), null);
    middle[0] = middle[0]! & 0x7f;
    const last = encodeFrame(OP.continuation, Buffer.from('}'), null);
    const ping = encodeFrame(OP.ping, Buffer.from('p'), null);
    const frames = new WsFrameParser().push(Buffer.concat([first, middle, ping, last]));
    const assembler = new MessageAssembler();
    const messages = frames.map((f) => assembler.add(f));
    expect(messages.slice(0, 3)).toEqual([null, null, null]);
    expect(messages[3]).toEqual({ opcode: OP.text, data: Buffer.from('{"a":1}') });
  });

  it('refuses an absurd frame length instead of waiting for it forever', () => {
    const header = Buffer.from([0x81, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const parser = new WsFrameParser();
    expect(parser.push(header)).toEqual([]);
    expect(parser.error).toBe('frame too large');
  });
});

describe('maskInPlace', () => {
  /** The RFC's byte loop, for comparison. */
  const byteByByte = (data: Buffer, mask: Buffer): Buffer => Buffer.from(data.map((b, i) => b ^ mask[i & 3]!));

  it('equals the byte loop at every length and every alignment of the buffer and the range', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const backing = Buffer.alloc(400);
    for (let n = 0; n < 3_000; n++) {
      const offset = Math.floor(random() * 8);
      const length = Math.floor(random() * 300);
      const start = Math.floor(random() * 5);
      const view = backing.subarray(offset, offset + start + length + 3);
      for (let i = 0; i < view.length; i++) view[i] = Math.floor(random() * 256);
      const mask = Buffer.from([0, 1, 2, 3].map(() => Math.floor(random() * 256)));
      const before = Buffer.from(view);
      maskInPlace(view, start, start + length, mask);
      expect(view.subarray(start, start + length).equals(byteByByte(before.subarray(start, start + length), mask))).toBe(true);
      // Nothing outside the range is touched.
      expect(view.subarray(0, start).equals(before.subarray(0, start))).toBe(true);
      expect(view.subarray(start + length).equals(before.subarray(start + length))).toBe(true);
    }
  });

  it('round-trips payloads at unaligned offsets of a chunk with a mask whose bytes all differ', () => {
    const mask = Buffer.from([0x9a, 0x01, 0xff, 0x5c]);
    for (const size of [31, 32, 33, 1_000, 8_701]) {
      const payload = Buffer.from(Array.from({ length: size }, (_, i) => (i * 37) & 0xff));
      const frame = encodeFrame(OP.text, payload, mask);
      expect(frame.subarray(frame.length - size).equals(byteByByte(payload, mask))).toBe(true);
      for (const lead of [1, 2, 3]) {
        const chunk = Buffer.concat([Buffer.alloc(lead), frame]).subarray(lead);
        expect(new WsFrameParser().push(chunk)[0]!.payload.equals(payload)).toBe(true);
      }
    }
  });
});
