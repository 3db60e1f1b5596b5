import { describe, expect, it } from 'vitest';
import { InputEstimator } from '../../../src/proxy/input-estimator.js';

describe('InputEstimator', () => {
  it('starts at one token per 3 bytes, rounding up; nothing for no bytes', () => {
    const e = new InputEstimator();
    expect(e.tokensPerByte()).toBeCloseTo(1 / 3, 12);
    expect(e.estimate(300)).toBe(100);
    expect(e.estimate(301)).toBe(101);
    expect(e.estimate(1)).toBe(1);
    expect(e.estimate(0)).toBe(0);
  });

  it('accepts another starting ratio', () => {
    expect(new InputEstimator(0.5).estimate(1001)).toBe(501);
  });

  it('learns a high quantile of the ratios seen, with a 5% margin', () => {
    const e = new InputEstimator();
    for (const r of [0.2, 0.21, 0.22, 0.23, 0.24]) e.observe(10_000, r * 10_000);
    // 80th percentile of five values is the fifth-smallest-but-one... index floor(0.8*5)=4: 0.24.
    expect(e.tokensPerByte()).toBeCloseTo(0.24 * 1.05, 12);
    // Twenty values, sixteen of them 0.2: the 80th percentile is the smallest of the top four.
    for (let i = 0; i < 15; i++) e.observe(10_000, 2000);
    expect(e.tokensPerByte()).toBeCloseTo(0.21 * 1.05, 12);
  });

  it('is not moved by one outlier, and never learns more than one token per byte', () => {
    const e = new InputEstimator();
    for (let i = 0; i < 9; i++) e.observe(4000, 1000);
    e.observe(4000, 3900); // a request whose real input was far above its body's share
    expect(e.tokensPerByte()).toBeCloseTo(0.25 * 1.05, 12);
    const f = new InputEstimator();
    f.observe(1000, 21_000); // billed 20,000 tokens more than its body holds
    expect(f.tokensPerByte()).toBeCloseTo(1 / 3, 12);
    f.observe(1000, 990);
    expect(f.tokensPerByte()).toBeLessThanOrEqual(1);
  });

  it('forgets observations older than the last 32', () => {
    const e = new InputEstimator();
    for (let i = 0; i < 32; i++) e.observe(1000, 900);
    for (let i = 0; i < 32; i++) e.observe(1000, 100);
    expect(e.tokensPerByte()).toBeCloseTo(0.1 * 1.05, 12);
  });

  it('ignores empty observations', () => {
    const e = new InputEstimator();
    e.observe(0, 100);
    e.observe(100, 0);
    expect(e.tokensPerByte()).toBeCloseTo(1 / 3, 12);
  });
});
