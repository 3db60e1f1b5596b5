import { describe, expect, it } from 'vitest';
import { sharedPrefix, sharedSuffix } from '../../../src/proxy/shared-bytes.js';
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
