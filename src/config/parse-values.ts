import { formatWhole } from '../budget/money.js';
import { UsageError } from '../errors.js';

/** Largest cap accepted: keeps nano-dollar arithmetic exact (below 2^53). */
export const MAX_USD = 1_000_000;
/** Smallest cap accepted: anything below rounds to a cap no request could ever fit. */
const MIN_USD = 0.000001;
/** The accepted range, as error messages name it. */
const USD_RANGE = `from $${MIN_USD} to $${formatWhole(MAX_USD)}`;

/** Parses a positive dollar amount such as `1.50` or `$2`. */
export function parseUsd(flag: string, raw: string): number {
  const text = raw.trim().replace(/^\$/, '');
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  // `1e6`, `+5` or `0x10` are numbers, just not written as dollars: name the range, not positivity.
  const asNumber = Number(text);
  if (value > MAX_USD || (Number.isNaN(value) && asNumber > MAX_USD)) {
    throw new UsageError(`Expected \`${flag}\` to be at most $${formatWhole(MAX_USD)}, got \`${raw}\`.`);
  }
  if (Number.isNaN(value) && asNumber > 0) {
    throw new UsageError(`Expected \`${flag}\` to be a dollar amount in plain digits ${USD_RANGE} (e.g. ${flag} 1.50), got \`${raw}\`.`);
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`Expected \`${flag}\` to be a positive number of dollars (e.g. ${flag} 1.50), got \`${raw}\`.`);
  }
  if (value < MIN_USD) throw new UsageError(`Expected \`${flag}\` to be at least $${MIN_USD} (one micro-dollar), got \`${raw}\`.`);
  return value;
}

const SUFFIX: Record<string, number> = { '': 1, k: 1_000, m: 1_000_000 };

/** `whole.fraction × scale` exactly, or NaN when it is not a whole number. */
function scaleDecimal(whole: string, fraction: string, scale: number): number {
  const zeros = String(scale).length - 1;
  if (fraction.length > zeros && /[1-9]/.test(fraction.slice(zeros))) return NaN;
  return Number(whole + fraction.slice(0, zeros).padEnd(zeros, '0'));
}

/** Parses a positive whole number of tokens, with optional k/m suffix (`200k`, `1.5m`). */
export function parseTokenCount(flag: string, raw: string): number {
  const match = /^(\d+)(?:\.(\d+))?([km]?)$/i.exec(raw.trim());
  // Scale the decimal digits as text: 4.1 * 1e6 in floating point is not a whole number.
  const value = match ? scaleDecimal(match[1]!, match[2] ?? '', SUFFIX[match[3]!.toLowerCase()]!) : NaN;
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
