import { describe, expect, it } from 'vitest';
import { DEGRADE_ORDER, layoutBar, partsText, partsWidth, truncate, type BarFields } from '../../../src/ui/bar-layout.js';

const FULL: BarFields = {
  spent: '$0.42',
  cap: '$1.50',
  fraction: 0.28,
  remaining: '$1.08 left',
  tokensLeft: '12k tokens left',
  actionsLeft: '8 actions left',
  phase: { name: 'verify', spent: '$0.10', cap: '$0.60', fraction: 1 / 6 },
  costliest: 'top $0.08',
  model: 'claude-sonnet-4-5',
  status: 'running',
};

const line = (fields: BarFields, columns: number): string => partsText(layoutBar(fields, columns));

describe('layoutBar', () => {
  it('shows every field when the terminal is wide', () => {
    expect(line(FULL, 200)).toBe(
      'capped ███░░░░░░░ $0.42/$1.50 · $1.08 left · 12k tokens left · 8 actions left · verify $0.10/$0.60 · top $0.08 · claude-sonnet-4-5 · running',
    );
  });

  it('drops fields in the documented order as the terminal narrows', () => {
    expect(line(FULL, 140)).toBe(
      'capped ███░░░░░░░ $0.42/$1.50 · $1.08 left · 12k tokens left · 8 actions left · verify $0.10/$0.60 · claude-sonnet-4-5 · running',
    );
    expect(line(FULL, 125)).toBe('███░░░░░░░ $0.42/$1.50 · $1.08 left · 12k tokens left · 8 actions left · verify $0.10/$0.60 · claude-sonnet-4-5 · running');
    expect(line(FULL, 120)).toBe('███░░░░░░░ $0.42/$1.50 · $1.08 left · 12k tokens left · 8 actions left · claude-sonnet-4-5 · running');
    expect(line(FULL, 100)).toBe('███░░░░░░░ $0.42/$1.50 · $1.08 left · 12k tokens left · claude-sonnet-4-5 · running');
    expect(line(FULL, 80)).toBe('███░░░░░░░ $0.42/$1.50 · $1.08 left · claude-sonnet-4-5 · running');
    expect(line(FULL, 60)).toBe('███░░░░░░ $0.42/$1.50 · $1.08 left · claude-sonn… · running');
  });

  it('shows the forecast after the dollars left, and drops it right after the costliest request', () => {
    const withForecast = { ...FULL, forecast: '$0.15/min ~8m left' };
    expect(line(withForecast, 220)).toBe(
      'capped ███░░░░░░░ $0.42/$1.50 · $1.08 left · $0.15/min ~8m left · 12k tokens left · 8 actions left · verify $0.10/$0.60 · top $0.08 · claude-sonnet-4-5 · running',
    );
    expect(line(withForecast, 160)).toBe(
      'capped ███░░░░░░░ $0.42/$1.50 · $1.08 left · $0.15/min ~8m left · 12k tokens left · 8 actions left · verify $0.10/$0.60 · claude-sonnet-4-5 · running',
    );
    // one column short of that: the forecast goes before the label
    expect(line(withForecast, 140)).toBe(line(FULL, 140));
    expect(line({ ...FULL, forecast: null }, 200)).toBe(line(FULL, 200));
  });

  it('fits a 40-column terminal: model shortened, then the gauge, then remaining dollars dropped', () => {
    const text = line(FULL, 40);
    expect(text).toBe('█░░░ $0.42/$1.50 · claude-so… · running');
    expect(text.length).toBeLessThanOrEqual(39);
  });

  it('keeps spend and status on a tiny terminal, and cuts with an ellipsis below that', () => {
    expect(line(FULL, 24)).toBe('$0.42/$1.50 · running');
    expect(line({ ...FULL, status: 'waiting for approval' }, 30)).toBe('$0.42/$1.50 · waiting for ap…');
    expect(line(FULL, 8)).toBe('$0.42/…');
  });

  it('cuts long model names with an ellipsis even on a wide terminal', () => {
    const text = line({ ...FULL, model: 'anthropic/claude-sonnet-4-5-20250929-with-a-very-long-suffix' }, 300);
    expect(text).toContain('anthropic/claude-sonnet-4-5…');
    expect(text).not.toContain('suffix');
  });

  it('never draws into the last column, at any width', () => {
    const variants: BarFields[] = [
      FULL,
      { ...FULL, model: 'x'.repeat(80), status: 'waiting for approval' },
      { ...FULL, cap: null, fraction: null, remaining: null },
    ];
    for (const fields of variants) {
      for (let columns = 2; columns <= 220; columns++) {
        expect(partsWidth(layoutBar(fields, columns)), `${columns} columns`).toBeLessThanOrEqual(columns - 1);
      }
    }
  });

  it('shows spend without a gauge when nothing is capped', () => {
    const fields: BarFields = { ...FULL, cap: null, fraction: null, remaining: null, tokensLeft: null, actionsLeft: null, phase: null, costliest: null };
    expect(line(fields, 100)).toBe('capped $0.42 spent · claude-sonnet-4-5 · running');
  });

  it('documents its degrade order', () => {
    expect(DEGRADE_ORDER[0]).toBe('drop costliest');
    expect(DEGRADE_ORDER.at(-1)).toBe('drop gauge');
  });
});

describe('truncate', () => {
  it('keeps short text and ends cut text with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 0)).toBe('');
  });
});
