import { describe, expect, it } from 'vitest';
import { contiguousRuns, sharedPrefix, sharedSuffix } from '../../../src/proxy/shared-bytes.js';
import { mulberry32, randInt } from '../helpers/prng.js';

function naivePrefix(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function naiveSuffix(a: Buffer, b: Buffer, limit: number): number {
  let i = 0;
  while (i < limit && i < a.length && i < b.length && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}

describe('sharedPrefix / sharedSuffix', () => {
  it('finds where two bodies part, at any position and size (against a byte loop)', () => {
    const rand = mulberry32(7);
    for (let n = 0; n < 300; n++) {
      const len = randInt(rand, 0, 70_000);
      const a = Buffer.alloc(len, 0x61);
      for (let i = 0; i < len; i += 97) a[i] = 0x62 + (i % 5);
      const b = Buffer.from(a);
      if (len > 0 && rand() < 0.8) b[randInt(rand, 0, len - 1)] = 0x7a;
      const c = rand() < 0.5 ? Buffer.concat([b, Buffer.from('tail')]) : b.subarray(0, randInt(rand, 0, len));
      expect(sharedPrefix(a, c)).toBe(naivePrefix(a, c));
      const limit = Math.min(a.length, c.length) - sharedPrefix(a, c);
      expect(sharedSuffix(a, c, limit)).toBe(naiveSuffix(a, c, limit));
    }
  });

  it('a prefix and a suffix never overlap', () => {
    const a = Buffer.from('abcabc');
    const b = Buffer.from('abcXabc');
    const p = sharedPrefix(a, b);
    expect(p).toBe(3);
    expect(sharedSuffix(a, b, Math.min(a.length, b.length) - p)).toBe(3);
    const same = Buffer.from('same');
    expect(sharedPrefix(same, Buffer.from('same'))).toBe(4);
    expect(sharedSuffix(same, Buffer.from('same'), 0)).toBe(0);
  });
});

describe('contiguousRuns', () => {
  const text = (runs: Buffer[]): string[] => runs.map((b) => b.toString());

  it('makes one view of back-to-back views of one buffer, copying nothing', () => {
    const whole = Buffer.from('data: a\n\ndata: b\n\ndata: c\n\n');
    const runs = contiguousRuns([whole.subarray(0, 9), whole.subarray(9, 18), whole.subarray(18)]);
    expect(text(runs)).toEqual([whole.toString()]);
    // A view: writing through it shows in the original.
    runs[0]![0] = 0x44;
    expect(whole[0]).toBe(0x44);
  });

  it('starts a new run at a gap, a step back or another buffer, each run still a view', () => {
    const whole = Buffer.from('data: a\n\ndata: b\n\ndata: c\n\n');
    const carried = Buffer.from('event: x\n\n');
    // The framer's shape: an event carried over from the chunk before, then the chunk's own events.
    const runs = contiguousRuns([carried, whole.subarray(0, 9), whole.subarray(9, 18)]);
    expect(text(runs)).toEqual(['event: x\n\n', 'data: a\n\ndata: b\n\n']);
    expect(runs[0]).toBe(carried);
    runs[1]![0] = 0x44;
    expect(whole[0]).toBe(0x44);
    expect(text(contiguousRuns([whole.subarray(0, 9), whole.subarray(18)]))).toEqual(['Data: a\n\n', 'data: c\n\n']);
    expect(text(contiguousRuns([whole.subarray(9, 18), whole.subarray(0, 9)]))).toEqual(['data: b\n\n', 'Data: a\n\n']);
  });

  it('leaves out empty parts, and makes no run of none', () => {
    const whole = Buffer.from('abcdef');
    expect(text(contiguousRuns([whole.subarray(0, 2), Buffer.alloc(0), whole.subarray(2, 4)]))).toEqual(['abcd']);
    expect(contiguousRuns([Buffer.alloc(0)])).toEqual([]);
    expect(contiguousRuns([])).toEqual([]);
  });
});
