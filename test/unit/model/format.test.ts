import { describe, expect, it } from 'vitest';
import { formatBudget, formatDuration, formatPercent } from '../../../src/model/format.js';

describe('the one formatting module', () => {
  it('writes a share whole (rounded down) or in tenths', () => {
    expect(formatPercent(0.996)).toBe('99%');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatPercent(0.996, 'tenths')).toBe('99.6%');
    expect(formatPercent(0.5, 'tenths')).toBe('50.0%');
  });

  it('writes a duration short or as a clock', () => {
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(65_000, 'clock')).toBe('1m 05s');
    expect(formatDuration(3_720_000, 'clock')).toBe('1h 02m');
    expect(formatDuration(12_000, 'clock')).toBe('12s');
    expect(formatDuration(-5, 'clock')).toBe('0s');
  });

  it('writes a budget from whole nano-dollars, with only the digits it has', () => {
    expect(formatBudget(null)).toBe('none');
    expect(formatBudget(1_000_000_000)).toBe('$1.00');
    expect(formatBudget(1_000_000)).toBe('$0.001');
    expect(formatBudget(999_999_000_000_000)).toBe('$999,999.00');
  });
});
