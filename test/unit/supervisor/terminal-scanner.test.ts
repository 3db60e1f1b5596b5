import { describe, expect, it } from 'vitest';
import { TerminalScanner, type TermSequence } from '../../../src/supervisor/terminal-scanner.js';

interface Seen {
  seq: TermSequence;
  start: number;
  end: number;
}

function scanAll(chunks: string[]): { seen: Seen[][]; scanner: TerminalScanner } {
  const scanner = new TerminalScanner();
  const seen = chunks.map((chunk) => {
    const out: Seen[] = [];
    scanner.scan(chunk, { sequence: (seq, start, end) => out.push({ seq, start, end }) });
    return out;
  });
  return { seen, scanner };
}

const seqs = (chunks: string[]): TermSequence[] =>
  scanAll(chunks)
    .seen.flat()
    .map((s) => s.seq);

describe('TerminalScanner', () => {
  it('reports CSI sequences with prefix, params, intermediates and final', () => {
    const { seen } = scanAll(['ab\x1b[?1049hcd\x1b[1;29r\x1b[!p']);
    expect(seen[0]).toEqual([
      { seq: { type: 'csi', prefix: '?', params: '1049', intermediates: '', final: 'h' }, start: 2, end: 10 },
      { seq: { type: 'csi', prefix: '', params: '1;29', intermediates: '', final: 'r' }, start: 12, end: 19 },
      { seq: { type: 'csi', prefix: '', params: '', intermediates: '!', final: 'p' }, start: 19, end: 23 },
    ]);
  });

  it('reports ESC sequences, charset designations and shifts', () => {
    expect(seqs(['\x1b7x\x1b8\x1b(0q\x0e\x0f\x1bc'])).toEqual([
      { type: 'esc', intermediates: '', final: '7' },
      { type: 'esc', intermediates: '', final: '8' },
      { type: 'esc', intermediates: '(', final: '0' },
      { type: 'control', code: 0x0e },
      { type: 'control', code: 0x0f },
      { type: 'esc', intermediates: '', final: 'c' },
    ]);
  });

  it('finds the same sequences however the stream is split', () => {
    const stream = 'hello\x1b[38;5;196mred\x1b[0m\x1b]0;title\x07\x1b[?1049h\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\x1bPq#0;2;0;0;0\x1b\\\x1b[r\x1bc';
    const whole = seqs([stream]);
    expect(whole).toHaveLength(9);
    for (let cut = 1; cut < stream.length; cut++) expect(seqs([stream.slice(0, cut), stream.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    expect(seqs([...stream])).toEqual(whole);
  });

  it('says where an unfinished sequence began, and -1 for one from an earlier chunk', () => {
    const { seen, scanner } = scanAll(['ab\x1b[3']);
    expect(seen[0]).toEqual([]);
    expect(scanner.inGround).toBe(false);
    expect(scanner.pendingStart).toBe(2);
    const next: Seen[] = [];
    scanner.scan('1mz', { sequence: (seq, start, end) => next.push({ seq, start, end }) });
    expect(next).toEqual([{ seq: { type: 'csi', prefix: '', params: '31', intermediates: '', final: 'm' }, start: -1, end: 2 }]);
    expect(scanner.inGround).toBe(true);
  });

  it('ends a string at an ESC that is not ST and starts the next sequence there', () => {
    const { seen } = scanAll(['\x1b]0;t\x1b[1m']);
    expect(seen[0]).toEqual([
      { seq: { type: 'string', kind: 'osc' }, start: 0, end: 5 },
      { seq: { type: 'csi', prefix: '', params: '1', intermediates: '', final: 'm' }, start: 5, end: 9 },
    ]);
  });

  it('drops a sequence cancelled by CAN, and one abandoned for a new ESC', () => {
    expect(seqs(['\x1b[12\x18x\x1b[\x1b[2J'])).toEqual([{ type: 'csi', prefix: '', params: '2', intermediates: '', final: 'J' }]);
  });
});
