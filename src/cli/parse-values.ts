import { UsageError } from './exit-codes.js';

/** Largest cap accepted: keeps nano-dollar arithmetic exact (below 2^53). */
const MAX_USD = 1_000_000;

/** Parses a positive dollar amount such as `1.50` or `$2`. */
export function parseUsd(flag: string, raw: string): number {
  const text = raw.trim().replace(/^\$/, '');
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`Expected \`${flag}\` to be a positive number of dollars (e.g. ${flag} 1.50), got \`${raw}\`.`);
  }
  if (value > MAX_USD) throw new UsageError(`Expected \`${flag}\` to be at most ${MAX_USD} dollars, got \`${raw}\`.`);
  return value;
}

const SUFFIX: Record<string, number> = { '': 1, k: 1_000, m: 1_000_000 };

/** Parses a positive whole number of tokens, with optional k/m suffix (`200k`, `1.5m`). */
export function parseTokenCount(flag: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(raw.trim());
  const value = match ? Number(match[1]) * SUFFIX[match[2]!.toLowerCase()]! : NaN;
  if (!Number.isFinite(value) || value < 1 || !Number.isInteger(value) || value > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`Expected \`${flag}\` to be a positive whole number of tokens (e.g. ${flag} 200000 or 200k), got \`${raw}\`.`);
  }
  return value;
}

/** Parses a whole number, zero allowed (e.g. a count of tool actions: 0 forbids them all). */
export function parseCount(flag: string, raw: string): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`Expected \`${flag}\` to be a whole number (e.g. ${flag} 50), got \`${raw}\`.`);
  }
  return value;
}
