import { describe, expect, it } from 'vitest';
import { ResponseParser, UpstreamProtocolError, type ResponseHead } from '../../../src/proxy/response-parser.js';
import { mulberry32, randInt } from '../helpers/prng.js';

interface Read {
  heads: ResponseHead[];
  body: string;
  ends: boolean[];
}

/** Feeds `wire` in the given pieces; what the parser gave, and the parser. */
function parse(wire: string | Buffer, cuts: number[] = [], headRequest = false): Read & { parser: ResponseParser } {
  const read: Read = { heads: [], body: '', ends: [] };
  const parser = new ResponseParser(
    {
      head: (h) => read.heads.push(h),
      body: (piece) => (read.body += piece.toString('latin1')),
      end: (reusable) => read.ends.push(reusable),
    },
    headRequest,
  );
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    parser.feed(bytes.subarray(from, cut));
    from = cut;
  }
  return Object.assign(read, { parser });
}

const chunked = (...pieces: string[]): string => `${pieces.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;

describe('ResponseParser', () => {
  it('reads a content-length body, its head as node:http gives it, and keeps the connection', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Request-Id: req_1\r\n\r\n{"ok":true}');
    expect(r.heads).toEqual([
      {
        status: 200,
        statusMessage: 'OK',
        headers: { 'content-type': 'application/json', 'content-length': '11', 'x-request-id': 'req_1' },
        rawHeaders: ['Content-Type', 'application/json', 'Content-Length', '11', 'X-Request-Id', 'req_1'],
      },
    ]);
    expect(r.body).toBe('{"ok":true}');
    expect(r.ends).toEqual([true]);
    expect(r.parser.done).toBe(true);
  });

  it('gives the same message however the bytes are split, down to one byte a read', () => {
    const wires = [
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello',
      `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunked('data: {"a":1}\n\n', 'x', 'data: [DONE]\n\n')}`,
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nx-trailer: 1\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nA\r\n0123456789\r\n0000b\r\nabcdefghijk\r\n0\r\n\r\n',
    ];
    for (const wire of wires) {
      const whole = parse(wire);
      for (let cut = 1; cut < wire.length; cut++) {
        const split = parse(wire, [cut]);
        expect({ heads: split.heads, body: split.body, ends: split.ends }).toEqual({ heads: whole.heads, body: whole.body, ends: whole.ends });
      }
      const bytes = [...Array(wire.length).keys()].slice(1);
      const byByte = parse(wire, bytes);
      expect(byByte.body).toBe(whole.body);
      expect(byByte.ends).toEqual([true]);
    }
  });

  it('decodes random chunked bodies split at random places (seeded)', () => {
    const rand = mulberry32(11);
    for (let round = 0; round < 200; round++) {
      const pieces = Array.from({ length: randInt(rand, 1, 8) }, () => 'é\r\n0;x'.repeat(randInt(rand, 1, 40)).slice(0, randInt(rand, 1, 200)));
      const wire = `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunked(...pieces)}`;
      const cuts = [...new Set(Array.from({ length: randInt(rand, 0, 12) }, () => randInt(rand, 1, wire.length - 1)))].sort((a, b) => a - b);
      const r = parse(wire, cuts);
      expect(r.body).toBe(pieces.join(''));
      expect(r.ends).toEqual([true]);
    }
  });

  it('hands a body on as views of the bytes read, copying nothing', () => {
    const wire = Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunked('abc', 'defg')}`);
    const pieces: Buffer[] = [];
    new ResponseParser({ head: () => {}, body: (p) => pieces.push(p), end: () => {} }).feed(wire);
    expect(pieces.map(String)).toEqual(['abc', 'defg']);
    for (const p of pieces) expect(p.buffer).toBe(wire.buffer);
  });

  it('skips interim 1xx heads, and reads no body for HEAD, 204 and 304', () => {
    const early = parse('HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx');
    expect(early.heads.map((h) => h.status)).toEqual([200]);
    expect(early.body).toBe('x');
    for (const status of [204, 304]) {
      const r = parse(`HTTP/1.1 ${status} X\r\ncontent-length: 10\r\n\r\n`);
      expect(r.ends).toEqual([true]);
      expect(r.body).toBe('');
    }
    const head = parse('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n', [], true);
    expect(head.ends).toEqual([true]);
  });

  it('reads a body without length to the close, and does not reuse that connection', () => {
    const r = parse('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ');
    expect(r.ends).toEqual([]);
    r.parser.feed(Buffer.from('part two'));
    expect(r.parser.eof()).toBe(true);
    expect(r.ends).toEqual([false]);
    expect(r.body).toBe('part one, part two');
  });

  it('says a message cut off before its end is not whole', () => {
    for (const wire of [
      'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc',
      `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n`,
      'HTTP/1.1 200 OK\r\n',
    ]) {
      const r = parse(wire);
      expect(r.parser.eof()).toBe(false);
      expect(r.ends).toEqual([]);
    }
  });

  it('keeps the connection only when HTTP/1.1 does not close it, or HTTP/1.0 asks to keep it', () => {
    expect(parse('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n').ends).toEqual([false]);
    expect(parse('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\ncontent-length: 0\r\n\r\n').ends).toEqual([true]);
    expect(parse('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n').ends).toEqual([false]);
    expect(parse('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n').ends).toEqual([true]);
    // Framed both ways: read by its coding, and not trusted again.
    const both = parse(`HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n${chunked('abcdef')}`);
    expect(both.body).toBe('abcdef');
    expect(both.ends).toEqual([false]);
  });

  it('joins repeated headers as node:http does', () => {
    const [head] = parse(
      'HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nvary: x\r\nvary: y\r\ncontent-type: a\r\ncontent-type: b\r\ncontent-length: 0\r\n\r\n',
    ).heads;
    expect(head!.headers).toEqual({ 'set-cookie': ['a=1', 'b=2'], vary: 'x, y', 'content-type': 'a', 'content-length': '0' });
  });

  it('counts bytes after the end of the message (the connection is then out of step)', () => {
    const r = parse('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200');
    expect(r.body).toBe('ok');
    expect(r.parser.extra).toBe('HTTP/1.1 200'.length);
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK\r\n\r\n', /status line/],
    ['a folded header line', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n  continued\r\n\r\n', /malformed header/],
    ['a header name with a space', 'HTTP/1.1 200 OK\r\ncontent-length : 1\r\n\r\nx', /malformed header/],
    ['a bad content-length', 'HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n', /bad content-length/],
    ['two content-lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nxx', /two different/],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', /bad chunk size/],
    ['a chunk size over 12 hex digits', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1000000000000\r\n', /bad chunk size/],
    ['a chunk-size line ended by LF alone', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\nabc\r\n', /without CRLF/],
    ['chunk data without its CRLF', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcX', /did not end with CRLF/],
    ['a switch of protocols', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n', /switched protocols/],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nx-a: a\rb\r\n\r\n', /control character/],
    ['a lone LF in a value', 'HTTP/1.1 200 OK\r\nx-a: a\nb\r\n\r\n', /control character/],
    ['a DEL in a value', 'HTTP/1.1 200 OK\r\nx-a: a\x7fb\r\n\r\n', /control character/],
  ])('refuses %s', (_name, wire, message) => {
    expect(() => parse(wire)).toThrow(UpstreamProtocolError);
    expect(() => parse(wire)).toThrow(message);
  });

  it('refuses a head over 64 KB, however it arrives', () => {
    const wire = `HTTP/1.1 200 OK\r\n${'x-pad: '.padEnd(1000, 'a')}\r\n`.repeat(70);
    expect(() => parse(wire)).toThrow(/over 64 KB/);
    expect(() => parse(wire, [100, 5000, 30000])).toThrow(/over 64 KB/);
  });
});
