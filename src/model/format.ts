import { NANO_PER_USD, type Nano } from '../budget/money.js';

// The one place money, shares and durations become text for people. Money arrives as integer
// nano-dollars; the engine's own messages use formatUsd, defined with the money type.
export { formatUsd } from '../budget/money.js';

/** Dollars in cents for the bar and panels ("$1.49"), more digits below a cent ("$0.0031"). */
export function formatUsdShort(nano: Nano): string {
  const usd = nano / NANO_PER_USD;
  const abs = Math.abs(usd);
  if (abs > 0 && abs < 0.01) return `$${usd.toFixed(4)}`;
  // Cut down, not round: $1.4999 spent of $1.50 must not read as "$1.50".
  const cents = Math.trunc(Math.round(usd * 1e6) / 1e4);
  return `$${(cents / 100).toFixed(2)}`;
}

/**
 * A budget: cents with thousands separators (`$1.00`, `$999,999.00`), more digits only as far as
 * the amount has them (`$0.001`, not `$0.001000`), and `none` when there was no dollar cap.
 */
export function formatBudget(nano: Nano | null): string {
  if (nano === null) return 'none';
  const digits =
    nano % 10_000_000 === 0
      ? 2
      : String(nano % NANO_PER_USD)
          .padStart(9, '0')
          .replace(/0+$/, '').length;
  return `$${(nano / NANO_PER_USD).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/**
 * A share as a percentage. `whole` (the bar, the summary): "42%", "0.4%" below one percent, rounded
 * down so 99.6% of a budget never reads as "100%". `tenths` (lines and reports): "42.0%".
 */
export function formatPercent(fraction: number, precision: 'whole' | 'tenths' = 'whole'): string {
  const pct = fraction * 100;
  if (precision === 'tenths') return `${pct.toFixed(1)}%`;
  if (pct > 0 && pct < 1) return `${(Math.floor(pct * 10 + 1e-9) / 10).toFixed(1)}%`;
  return `${Math.floor(pct + 1e-9)}%`;
}

/**
 * A duration. `short` (settings, panels): the largest whole unit that fits, "10m", "90s",
 * "1h 30m". `clock` (how long a run took): "1h 02m", "3m 05s", "12s".
 */
export function formatDuration(ms: number, style: 'short' | 'clock' = 'short'): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (style === 'clock') {
    if (s >= 3600) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
    return s >= 60 ? `${Math.floor(s / 60)}m ${pad(s % 60)}s` : `${s}s`;
  }
  if (s < 60) return `${s}s`;
  if (s % 60 !== 0 && s < 600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  return m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h ${m % 60}m`;
}
