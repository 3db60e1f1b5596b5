import { describe, expect, it } from 'vitest';
import { medianInterval, pairedChange, pairedText, roundOrder } from '../../../bench/paired.js';
import { mulberry32 } from '../helpers/prng.js';

describe('medianInterval', () => {
  it('takes the order statistics of the binomial interval (n = 100: the 40th and 61st)', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted on purpose
    expect(medianInterval(values)).toEqual({ median: 50.5, low: 40, high: 61, n: 100 });
    expect(medianInterval([3, 1, 2, 5, 4, 7, 6])?.median).toBe(4);
  });

  it('covers the true median about 95 % of the time, on a skewed distribution', () => {
    const next = mulberry32(7);
    // Exponential with rate 1: its median is ln 2.
    const truth = Math.LN2;
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 200 }, () => -Math.log(1 - next()));
      const i = medianInterval(sample)!;
      if (i.low <= truth && truth <= i.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.975);
  });

  it('gives no interval for fewer than 6 values', () => {
    expect(medianInterval([1, 2, 3, 4, 5])).toBeNull();
  });
});

describe('pairedChange', () => {
  it('finds a small change under drift that moves both builds together', () => {
    const next = mulberry32(11);
    // Each round's moment of the machine adds the same 0–2 ms to both builds; the new one is 0.05 ms faster.
    const before: { ms: number }[] = [];
    const after: { ms: number }[] = [];
    for (let i = 0; i < 500; i++) {
      const drift = 2 * next();
      before.push({ ms: 1 + drift + 0.02 * next() });
      after.push({ ms: 0.95 + drift + 0.02 * next() });
    }
    const change = pairedChange(after, before, (s) => s.ms, 'difference')!;
    expect(change.median).toBeCloseTo(-0.05, 2);
    expect(change.high).toBeLessThan(0);
    expect(pairedText(change, 'difference')).toMatch(/^-0\.05\d \[-0\.05\d, -0\.0[45]\d\]$/);
  });

  it('compares throughputs as ratios, and says when the interval holds no change', () => {
    const a = Array.from({ length: 50 }, (_, i) => ({ mbps: 100 + (i % 5) }));
    const b = Array.from({ length: 50 }, (_, i) => ({ mbps: 100 + ((i + 2) % 5) }));
    const change = pairedChange(a, b, (s) => s.mbps, 'ratio')!;
    expect(change.low).toBeLessThanOrEqual(1);
    expect(change.high).toBeGreaterThanOrEqual(1);
    expect(pairedText(change, 'ratio')).toContain('(no clear change)');
  });

  it('refuses samples that are not paired', () => {
    expect(() => pairedChange([{ ms: 1 }], [], (s) => s.ms, 'difference')).toThrow('paired samples differ in number: 1 and 0');
  });
});

describe('roundOrder', () => {
  it('shuffles every path into each round, the same way on every run', () => {
    const paths = ['direct', 'capped', 'before', 'bare'];
    for (let round = -50; round < 50; round++) {
      const order = roundOrder(paths, round);
      expect([...order].sort()).toEqual([...paths].sort());
      expect(roundOrder(paths, round)).toEqual(order);
    }
    expect(paths).toEqual(['direct', 'capped', 'before', 'bare']);
  });

  it('puts each path behind every other one in turn, not always the same neighbour', () => {
    const paths = ['direct', 'capped', 'before', 'bare'];
    const behind = new Map<string, number>();
    for (let round = 0; round < 1200; round++) {
      const order = roundOrder(paths, round);
      const i = order.indexOf('before');
      const key = i === 0 ? '(first)' : order[i - 1]!;
      behind.set(key, (behind.get(key) ?? 0) + 1);
    }
    // Each of the four places (first, or behind one of the three others) about a quarter of the rounds.
    expect([...behind.keys()].sort()).toEqual(['(first)', 'bare', 'capped', 'direct']);
    for (const n of behind.values()) expect(n).toBeGreaterThan(240);
  });
});
