import { describe, expect, it } from 'vitest';
import { SseFramer } from '../../../src/proxy/sse-framer.js';

function frameWhole(text: string): { events: string[]; rest: string | null } {
  const f = new SseFramer();
  const events = f.push(Buffer.from(text)).map((b) => b.toString('utf8'));
  const rest = f.end();
  return { events, rest: rest ? rest.toString('utf8') : null };
}

function frameBytewise(text: string): { events: string[]; rest: string | null } {
  const f = new SseFramer();
  const out: Buffer[] = [];
  for (const byte of Buffer.from(text)) out.push(...f.push(Buffer.from([byte])));
  const rest = f.end();
  return { events: out.map((b) => b.toString('utf8')), rest: rest ? rest.toString('utf8') : null };
}

const STREAM =
  'event: message_start\ndata: {"type":"message_start","message":{"model":"claude"}}\n\n' +
  ': comment\n\n' +
  'event: content_block_delta\r\ndata: {"text":"héllo ✓"}\r\n\r\n' +
  'data: line one\ndata: line two\n\n' +
  'data: [DONE]\n\n';

describe('SseFramer', () => {
  it('splits a stream into whole events, each keeping its exact bytes', () => {
    const { events, rest } = frameWhole(STREAM);
    expect(events).toEqual([
      'event: message_start\ndata: {"type":"message_start","message":{"model":"claude"}}\n\n',
      ': comment\n\n',
      'event: content_block_delta\r\ndata: {"text":"héllo ✓"}\r\n\r\n',
      'data: line one\ndata: line two\n\n',
      'data: [DONE]\n\n',
    ]);
    expect(events.join('')).toBe(STREAM);
    expect(rest).toBeNull();
  });

  it('gives the same events fed one byte at a time (CRLF and UTF-8 split across pushes)', () => {
    expect(frameBytewise(STREAM)).toEqual(frameWhole(STREAM));
  });

  it('holds back only an unfinished event and returns it at the end', () => {
    const f = new SseFramer();
    expect(f.push(Buffer.from('data: a\n\ndata: b'))).toHaveLength(1);
    expect(f.push(Buffer.from('c\n'))).toHaveLength(0);
    expect(f.push(Buffer.from('\n')).map(String)).toEqual(['data: bc\n\n']);
    expect(f.push(Buffer.from('data: tail'))).toHaveLength(0);
    expect(f.end()?.toString()).toBe('data: tail');
  });

  it('waits for the byte after a final CR before deciding where an event ends', () => {
    const f = new SseFramer();
    expect(f.push(Buffer.from('data: x\r\n\r'))).toHaveLength(0);
    expect(f.push(Buffer.from('\ndata: y\r\r')).map(String)).toEqual(['data: x\r\n\r\n']);
    expect(f.end()?.toString()).toBe('data: y\r\r');
  });

  it('treats CR-only line endings as line ends', () => {
    expect(frameWhole('data: a\r\rdata: b\r\rx')).toEqual({ events: ['data: a\r\r', 'data: b\r\r'], rest: 'x' });
  });

  it('joins a long event that arrives in many chunks without line ends, exactly once whole', () => {
    const f = new SseFramer();
    const data = `data: {"x":"${'y'.repeat(100_000)}"}`;
    const bytes = Buffer.from(`${data}\n\ndata: next\n\n`);
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i += 1000) out.push(...f.push(bytes.subarray(i, i + 1000)).map(String));
    expect(out).toEqual([`${data}\n\n`, 'data: next\n\n']);
    expect(f.end()).toBeNull();
  });

  it('returns a long unfinished event at the end', () => {
    const f = new SseFramer();
    f.push(Buffer.from('data: a'));
    f.push(Buffer.from('bcdef'));
    f.push(Buffer.from('ghi'));
    expect(f.end()?.toString()).toBe('data: abcdefghi');
  });
});
