import { describe, expect, it } from 'vitest';
import { costOfTokens, formatUsd, formatWhole, NANO_PER_USD, nanoToUsd, tokensAffordable, usdToNano } from '../../../src/budget/money.js';

describe('usdToNano / nanoToUsd', () => {
  it('converts dollars to whole nano-dollars, absorbing float noise', () => {
    expect(NANO_PER_USD).toBe(1_000_000_000);
    expect(usdToNano(1.5)).toBe(1_500_000_000);
    expect(usdToNano(0.1 + 0.2)).toBe(300_000_000);
    expect(usdToNano(0.000000001)).toBe(1);
    expect(Number.isInteger(usdToNano(1.23456789123))).toBe(true);
    expect(nanoToUsd(1_500_000_000)).toBe(1.5);
    expect(nanoToUsd(usdToNano(4.2))).toBe(4.2);
  });
});

describe('costOfTokens', () => {
  it('prices tokens at pico-dollars each, rounded up to whole nano-dollars', () => {
    expect(costOfTokens(1000, 15_000_000)).toBe(15_000_000);
    expect(costOfTokens(3, 1_234_567)).toBe(3704); // 3703.701
    expect(costOfTokens(1, 1)).toBe(1); // 0.001 nano still costs one
    expect(costOfTokens(0, 15_000_000)).toBe(0);
  });
});

describe('tokensAffordable', () => {
  it('counts whole tokens that fit, rounding down', () => {
    expect(tokensAffordable(15_000_000, 15_000_000)).toBe(1000);
    expect(tokensAffordable(15_014_999, 15_000_000)).toBe(1000);
    expect(tokensAffordable(15_015_000, 15_000_000)).toBe(1001);
    // what it reports affordable never costs more than the budget
    for (const nano of [1, 999, 3704, 1_000_003, 987_654_321]) {
      const n = tokensAffordable(nano, 1_234_567);
      expect(costOfTokens(n, 1_234_567)).toBeLessThanOrEqual(nano);
      expect(costOfTokens(n + 1, 1_234_567)).toBeGreaterThan(nano);
    }
  });

  it('is zero for no budget and unlimited for a free rate', () => {
    expect(tokensAffordable(0, 15_000_000)).toBe(0);
    expect(tokensAffordable(-5, 15_000_000)).toBe(0);
    expect(tokensAffordable(10, 0)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('formatUsd', () => {
  it('shows cents for whole-cent and large amounts, more digits for small ones', () => {
    expect(formatUsd(1_000_000_000)).toBe('$1.00');
    expect(formatUsd(1_500_000_000)).toBe('$1.50');
    expect(formatUsd(10_000_000)).toBe('$0.01');
    expect(formatUsd(12_345_678_901)).toBe('$12.35');
    expect(formatUsd(995_000_000)).toBe('$0.9950');
    expect(formatUsd(18_000_000)).toBe('$0.0180');
    expect(formatUsd(6_840_000)).toBe('$0.006840');
    expect(formatUsd(1)).toBe('$0.000000');
    expect(formatUsd(0)).toBe('$0.00');
  });
});

describe('formatWhole', () => {
  it('groups thousands exactly as toLocaleString("en-US") does', () => {
    for (const n of [0, 7, 999, 1000, 12_345, -1_234_567, 1_000_000, Number.MAX_SAFE_INTEGER, 1.5, 1e21]) {
      expect(formatWhole(n), String(n)).toBe(n.toLocaleString('en-US'));
    }
  });
});
