import { describe, expect, it } from 'vitest';
import { createTerminalPainter } from '../../../src/supervisor/terminal-painter.js';
import { TerminalScanner, type TermSequence } from '../../../src/supervisor/terminal-scanner.js';

const E = '\x1b';
const SYNC_ON = `${E}[?2026h`;
const SYNC_OFF = `${E}[?2026l`;
/** The bar paint for a 30-row terminal with the child in its default modes. */
const PAINT = (bar: string, rows = 30): string => `${E}[?25l${E}7${E}[?7l${E}[${rows};1H${E}[0m${E}[2K${bar}${E}[?7h${E}8${E}[?25h`;
const REGION = `${E}[1;29r`;

const painter = (bar = 'BAR', rows = 30) => createTerminalPainter({ rows, columns: 100, bar });

describe('TerminalPainter', () => {
  it('makes room below the cursor, sets the region above the bar row and paints it', () => {
    expect(painter().start()).toBe(`${SYNC_ON}\r\n${E}7${REGION}${E}8${E}[1A${PAINT('BAR')}${SYNC_OFF}`);
  });

  it('paints the bar in the same write as each chunk, inside synchronized output', () => {
    const p = painter();
    expect(p.paint('hello\r\n')).toBe(`${SYNC_ON}hello\r\n${PAINT('BAR')}${SYNC_OFF}`);
  });

  it('never paints inside a sequence split across chunks', () => {
    const p = painter();
    expect(p.paint(`abc${E}[3`)).toBe(`${SYNC_ON}abc${PAINT('BAR')}${SYNC_OFF}${E}[3`);
    expect(p.paint('1mdef')).toBe(`1m${SYNC_ON}def${PAINT('BAR')}${SYNC_OFF}`);
  });

  it('passes a chunk that is all inside one long string sequence through untouched', () => {
    const p = painter();
    expect(p.paint(`${E}Pq`)).toBe(`${SYNC_ON}${PAINT('BAR')}${SYNC_OFF}${E}Pq`);
    expect(p.paint('#0;2;0;0;0')).toBe('#0;2;0;0;0');
    expect(p.paint(`#1${E}\\x`)).toBe(`#1${E}\\${SYNC_ON}x${PAINT('BAR')}${SYNC_OFF}`);
  });

  it('re-applies the region right after the child resets it, even when the reset is split', () => {
    const p = painter();
    expect(p.paint(`a${E}[rb`)).toBe(`${SYNC_ON}a${E}[r${REGION}b${PAINT('BAR')}${SYNC_OFF}`);
    expect(p.paint(`${E}[`)).toBe(`${SYNC_ON}${PAINT('BAR')}${SYNC_OFF}${E}[`);
    expect(p.paint('1;30rX')).toBe(`1;30r${SYNC_ON}${REGION}X${PAINT('BAR')}${SYNC_OFF}`);
  });

  it("keeps a child's own region inside its rows, and ends one that reaches the bar row above it", () => {
    const p = painter();
    expect(p.paint(`${E}[2;20r`)).toBe(`${SYNC_ON}${E}[2;20r${PAINT('BAR')}${SYNC_OFF}`);
    expect(p.paint(`${E}[1;29r`)).toBe(`${SYNC_ON}${E}[1;29r${PAINT('BAR')}${SYNC_OFF}`);
    expect(p.paint(`${E}[5r`)).toBe(`${SYNC_ON}${E}[5r${E}[5;29r${PAINT('BAR')}${SYNC_OFF}`);
  });

  it('re-applies the region (cursor kept) after screen switches and resets', () => {
    for (const seq of [`${E}[?1049h`, `${E}[?1049l`, `${E}[?47h`, `${E}[?1047l`, `${E}[?1000;1049h`]) {
      expect(painter().paint(seq)).toBe(`${SYNC_ON}${seq}${E}7${REGION}${E}8${PAINT('BAR')}${SYNC_OFF}`);
    }
    expect(painter().paint(`${E}c`)).toBe(`${SYNC_ON}${E}c${REGION}${PAINT('BAR')}${SYNC_OFF}`);
    expect(painter().paint(`${E}[!p`)).toBe(`${SYNC_ON}${E}[!p${E}7${REGION}${E}8${PAINT('BAR')}${SYNC_OFF}`);
    const split = painter();
    expect(split.paint(`${E}[?10`)).toBe(`${SYNC_ON}${PAINT('BAR')}${SYNC_OFF}${E}[?10`);
    expect(split.paint('49h')).toBe(`49h${SYNC_ON}${E}7${REGION}${E}8${PAINT('BAR')}${SYNC_OFF}`);
  });

  it("does not clobber the child's saved cursor: paints before its save, and again after its restore", () => {
    const p = painter();
    expect(p.paint(`a${E}7b`)).toBe(`${SYNC_ON}a${PAINT('BAR')}${E}7b${SYNC_OFF}`);
    expect(p.paint('c')).toBe(`${SYNC_ON}c${SYNC_OFF}`);
    expect(p.setBar('NEW')).toBe('');
    expect(p.paint(`d${E}8e`)).toBe(`${SYNC_ON}d${E}8e${PAINT('NEW')}${SYNC_OFF}`);
    expect(painter().paint(`${E}[sx${E}[uy`)).toBe(`${SYNC_ON}${E}[sx${E}[uy${PAINT('BAR')}${SYNC_OFF}`);
  });

  it('leaves origin mode, line drawing, hidden cursor and no-autowrap as the child set them', () => {
    const p = painter();
    const out = p.paint(`${E}[?6h${E}(0${E}[?25l${E}[?7lq`);
    expect(out).toBe(`${SYNC_ON}${E}[?6h${E}(0${E}[?25l${E}[?7lq${E}7${E}[?6l${E}[30;1H${E}[0m${E}(B\x0f${E}[2KBAR${E}8${SYNC_OFF}`);
  });

  it('paints a new bar at once between chunks, and at the next chunk when mid-sequence', () => {
    const p = painter();
    expect(p.setBar('B2')).toBe(`${SYNC_ON}${PAINT('B2')}${SYNC_OFF}`);
    expect(p.setBar('B2')).toBe('');
    p.paint(`${E}]0;ti`);
    expect(p.setBar('B3')).toBe('');
    expect(p.paint(`tle${E}\\`)).toBe(`tle${E}\\${SYNC_ON}${PAINT('B3')}${SYNC_OFF}`);
  });

  it('forces a waiting paint out when asked, cancelling the half-written sequence', () => {
    const p = painter();
    p.paint(`x${E}[3`);
    expect(p.setBar('ASK?')).toBe('');
    expect(p.pending).toBe(true);
    expect(p.flush()).toBe(`\x18${SYNC_ON}${PAINT('ASK?')}${SYNC_OFF}`);
    expect(p.pending).toBe(false);
    expect(p.flush()).toBe('');
    expect(p.paint('y')).toBe(`${SYNC_ON}y${PAINT('ASK?')}${SYNC_OFF}`);
  });

  it('moves the region and the bar on resize, blanking the old bar row when the terminal grew', () => {
    const p = painter();
    expect(p.resize(40, 120, 'WIDE')).toBe(`${SYNC_ON}${E}7${E}[30;1H${E}[2K${E}8${E}7${E}[1;39r${E}8${PAINT('WIDE', 40)}${SYNC_OFF}`);
    expect(p.resize(20, 120)).toBe(`${SYNC_ON}${E}7${E}[1;19r${E}8${PAINT('WIDE', 20)}${SYNC_OFF}`);
    expect(p.paint('x')).toBe(`${SYNC_ON}x${PAINT('WIDE', 20)}${SYNC_OFF}`);
  });

  it('gives a terminal under 3 rows no bar, and takes it back when it grows', () => {
    const p = painter('BAR', 2);
    expect(p.start()).toBe('');
    expect(p.paint('x')).toBe('x');
    expect(p.resize(10, 80)).toBe(`${SYNC_ON}${E}7${E}[1;9r${E}8${PAINT('BAR', 10)}${SYNC_OFF}`);
    expect(p.resize(2, 80)).toBe(`${E}7${E}[r${E}8`);
  });

  it('gives the whole screen back on stop, cancelling a sequence the child left unfinished', () => {
    const p = painter();
    expect(p.stop()).toBe(`${E}7${E}[30;1H${E}[0m${E}[2K${E}[r${E}8`);
    expect(p.paint('after')).toBe('after');
    expect(p.stop()).toBe('');
    const q = painter();
    q.paint(`${E}[3`);
    expect(q.stop().startsWith('\x18')).toBe(true);
  });
});

describe('TerminalPainter over random streams', () => {
  /** The child's sequences in order, from a stream (ours removed by their marker). */
  function childSequences(stream: string, ours: ReadonlySet<string>): string[] {
    const scanner = new TerminalScanner();
    const found: string[] = [];
    scanner.scan(stream, {
      sequence: (seq: TermSequence, start, end) => {
        void seq;
        found.push(stream.slice(start, end));
      },
    });
    return found.filter((s) => !ours.has(s));
  }

  it('never splits, reorders or breaks a sequence of the child, however its output is chunked', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = [
      'text ',
      '\r\n',
      `${E}[31m`,
      `${E}[0m`,
      `${E}[2J`,
      `${E}[H`,
      `${E}[10;5H`,
      `${E}]0;title${E}\\`,
      `${E}]11;?\x07`,
      `${E}[?25l`,
      `${E}[?25h`,
      `${E}(0`,
      `${E}(B`,
      `${E}[2;20r`,
      `${E}P+q544e${E}\\`,
      'é€😀',
    ];
    // What the painter itself writes, so it can be told apart from the child's sequences.
    const ours = new Set([
      SYNC_ON,
      SYNC_OFF,
      `${E}7`,
      `${E}8`,
      `${E}[?7l`,
      `${E}[?7h`,
      `${E}[?25l`,
      `${E}[?25h`,
      `${E}[30;1H`,
      `${E}[0m`,
      `${E}[2K`,
      `${E}(B`,
      '\x0f',
      `${E}[1;29r`,
    ]);
    for (let round = 0; round < 200; round++) {
      let stream = '';
      for (let i = 0; i < 30; i++) stream += pieces[rand(pieces.length)];
      const p = painter();
      let out = '';
      for (let at = 0; at < stream.length;) {
        const size = 1 + rand(12);
        out += p.paint(stream.slice(at, at + size));
        at += size;
      }
      // The painter's own SGR/cursor sequences look like some of the child's; compare only what
      // the child wrote that the painter never writes.
      const strict = (s: string) => childSequences(s, ours);
      expect(strict(out)).toEqual(strict(stream));
      // eslint-disable-next-line no-control-regex
      const painted = /\x1b\[\?2026[hl]|\x1b7|\x1b8|\x1b\[\?25[hl]|\x1b\[\?7[hl]|\x1b\[30;1H|\x1b\[0m|\x1b\[2K|BAR|\x1b\(B|\x0f|\x1b\[1;29r/g;
      // eslint-disable-next-line no-control-regex
      const shared = /\x1b\[\?25[hl]|\x1b\[0m|\x1b\(B|\x1b\[1;29r/g;
      expect(out.replaceAll(painted, '')).toBe(stream.replaceAll(shared, ''));
    }
  });
});
