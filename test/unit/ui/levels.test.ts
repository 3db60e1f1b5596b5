import { describe, expect, it } from 'vitest';
import { formatPercent } from '../../../src/model/format.js';
import { barCells, DANGER_AT, fractionOf, LEVEL_COLOR, levelOf, WARN_AT } from '../../../src/ui/levels.js';

describe('levelOf', () => {
  it('is green below 60%, yellow below 85%, red from there on', () => {
    expect(levelOf(0)).toBe('ok');
    expect(levelOf(0.5999)).toBe('ok');
    expect(levelOf(WARN_AT)).toBe('warn');
    expect(levelOf(0.8499)).toBe('warn');
    expect(levelOf(DANGER_AT)).toBe('danger');
    expect(levelOf(1.3)).toBe('danger');
    expect([levelOf(0.1), levelOf(0.7), levelOf(0.9)].map((l) => LEVEL_COLOR[l])).toEqual(['green', 'yellow', 'red']);
  });

  it('treats an uncapped budget as ok', () => {
    expect(levelOf(null)).toBe('ok');
    expect(levelOf(Number.NaN)).toBe('ok');
  });
});

describe('fractionOf', () => {
  it('divides by the cap, is null without one, and full at a zero cap', () => {
    expect(fractionOf(3, 4)).toBe(0.75);
    expect(fractionOf(3, null)).toBeNull();
    expect(fractionOf(0, 0)).toBe(1);
  });
});

describe('formatPercent', () => {
  it('rounds down to whole percents and keeps one decimal below one percent', () => {
    expect(formatPercent(0.994)).toBe('99%');
    expect(formatPercent(0.9999)).toBe('99%');
    expect(formatPercent(0.29)).toBe('29%');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1.25)).toBe('125%');
  });
});

describe('barCells', () => {
  it('fills in proportion and always has the requested width', () => {
    expect(barCells(0.5, 10)).toEqual({ filled: '█████', empty: '░░░░░' });
    for (const f of [0, 0.01, 0.33, 0.96, 1, 2]) {
      const { filled, empty } = barCells(f, 8);
      expect(filled.length + empty.length).toBe(8);
    }
  });

  it('shows any spend as one cell and is full only at the cap', () => {
    expect(barCells(0.01, 10).filled).toBe('█');
    expect(barCells(0.97, 10).filled).toBe('█'.repeat(9));
    expect(barCells(1, 10).filled).toBe('█'.repeat(10));
    expect(barCells(0, 10).filled).toBe('');
  });
});
