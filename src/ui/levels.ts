/**
 * How full a budget is, as a level and a colour. Pure, so the thresholds are tested directly:
 * terminal snapshots cannot see colour.
 */
export type Level = 'ok' | 'warn' | 'danger';

/** Below this share of the cap the bar is green. */
export const WARN_AT = 0.6;
/** Below this share (and at or above WARN_AT) it is yellow; from here on, red. */
export const DANGER_AT = 0.85;

/** The level of `fraction` (spend / cap); an uncapped budget (null) is always ok. */
export function levelOf(fraction: number | null): Level {
  if (fraction === null || !Number.isFinite(fraction)) return 'ok';
  if (fraction < WARN_AT) return 'ok';
  if (fraction < DANGER_AT) return 'warn';
  return 'danger';
}

/** Ink colour names for each level. */
export const LEVEL_COLOR: Readonly<Record<Level, 'green' | 'yellow' | 'red'>> = {
  ok: 'green',
  warn: 'yellow',
  danger: 'red',
};

/** Spend / cap as a fraction, or null without a cap. A zero cap is full from the start. */
export function fractionOf(spent: number, cap: number | null): number | null {
  if (cap === null) return null;
  if (cap <= 0) return 1;
  return spent / cap;
}

const FULL = '█';
const EMPTY = '░';

/** The filled and empty parts of a bar `cells` wide (the fill is clamped to 0..cells). */
export function barCells(fraction: number, cells: number): { filled: string; empty: string } {
  const n = Math.max(0, Math.min(cells, Math.round(fraction * cells)));
  // Any spend at all shows at least one cell, and a full cell count only at the cap.
  const shown = fraction > 0 && n === 0 ? 1 : fraction < 1 && n === cells ? cells - 1 : n;
  return { filled: FULL.repeat(shown), empty: EMPTY.repeat(cells - shown) };
}
