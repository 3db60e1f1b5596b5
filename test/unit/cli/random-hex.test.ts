import { describe, expect, it } from 'vitest';
import { randomHex } from '../../../src/cli/random-hex.js';

describe('randomHex', () => {
  it('gives the bytes asked for, as hex, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const hex = randomHex(16);
      expect(hex).toMatch(/^[0-9a-f]{32}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(200);
    expect(randomHex(3)).toMatch(/^[0-9a-f]{6}$/);
    // Every byte value turns up: not a constant, not a narrow range.
    const bytes = new Set(Buffer.from(Array.from({ length: 64 }, () => randomHex(64)).join(''), 'hex'));
    expect(bytes.size).toBe(256);
  });
});
