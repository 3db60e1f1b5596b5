import { describe, expect, it } from 'vitest';
import { InputEstimator } from '../../../src/proxy/input-estimator.js';

describe('InputEstimator', () => {
  it('starts at one token per 3 bytes, rounding up, never below 1', () => {
    const e = new InputEstimator();
    expect(e.tokensPerByte()).toBeCloseTo(1 / 3, 12);
    expect(e.estimate(300)).toBe(100);
    expect(e.estimate(301)).toBe(101);
    expect(e.estimate(1)).toBe(1);
    expect(e.estimate(0)).toBe(1);
  });

  it('accepts another starting ratio', () => {
    const e = new InputEstimator(0.5);
    expect(e.estimate(1001)).toBe(501);
  });

  it('learns the highest observed ratio with a 15% margin', () => {
    const e = new InputEstimator();
    e.observe(1000, 200); // 0.2
    expect(e.tokensPerByte()).toBeCloseTo(0.23, 12);
    expect(e.estimate(1000)).toBe(230);
    e.observe(1000, 100); // lower ratios do not lower the estimate
    expect(e.estimate(1000)).toBe(230);
    e.observe(1000, 250); // a higher one raises it
    expect(e.tokensPerByte()).toBeCloseTo(0.2875, 12);
    expect(e.estimate(10_000)).toBe(2875);
  });

  it('learns below the conservative start, so reservations shrink to what this run needs', () => {
    const e = new InputEstimator();
    e.observe(40_000, 8_000);
    expect(e.estimate(40_000)).toBe(9200);
    expect(e.estimate(40_000)).toBeLessThan(new InputEstimator().estimate(40_000));
  });

  it('ignores observations without bytes or tokens', () => {
    const e = new InputEstimator();
    e.observe(0, 100);
    e.observe(100, 0);
    e.observe(-5, 10);
    expect(e.tokensPerByte()).toBeCloseTo(1 / 3, 12);
  });

  it('forgets observations older than the last 20', () => {
    const e = new InputEstimator();
    e.observe(100, 90); // 0.9, the highest
    for (let i = 0; i < 19; i++) e.observe(100, 10);
    expect(e.tokensPerByte()).toBeCloseTo(0.9 * 1.15, 12);
    e.observe(100, 10); // the 21st pushes the 0.9 out
    expect(e.tokensPerByte()).toBeCloseTo(0.1 * 1.15, 12);
  });
});
