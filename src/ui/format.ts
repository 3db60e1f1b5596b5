import { formatWhole, tokensAffordable, type Nano } from '../budget/money.js';

/** Dollars in cents for the bar and panels ("$1.49"), more digits below a cent ("$0.0031"). */
export function formatUsdShort(nano: Nano): string {
  const usd = nano / 1e9;
  const abs = Math.abs(usd);
  if (abs > 0 && abs < 0.01) return `$${usd.toFixed(4)}`;
  // Cut down, not round: $1.4999 spent of $1.50 must not read as "$1.50".
  const cents = Math.trunc(Math.round(usd * 1e6) / 1e4);
  return `$${(cents / 100).toFixed(2)}`;
}

/** Whole numbers with separators ("12,345"). */
export function formatInt(n: number): string {
  return formatWhole(Math.round(n));
}

/** Counts in a few characters: "950", "12.3k", "4.1M". */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n));
  if (abs < 1_000_000) return `${trim1(n / 1000)}k`;
  return `${trim1(n / 1_000_000)}M`;
}

function trim1(n: number): string {
  return n >= 100 ? String(Math.floor(n)) : (Math.floor(n * 10) / 10).toFixed(1).replace(/\.0$/, '');
}

/**
 * What a dollar cap buys in output tokens at a model's output price (pico-dollars per token), e.g.
 * "≈ 100,000 output tokens"; null when the price is unknown or zero.
 */
export function tokenEquivalent(capNano: Nano, outPicoPerToken: number | null): string | null {
  if (outPicoPerToken === null || outPicoPerToken <= 0) return null;
  return `≈ ${formatInt(tokensAffordable(capNano, outPicoPerToken))} output tokens`;
}

/** An output price per million tokens for people: "$15.00/M output". */
export function pricePerMillion(outPicoPerToken: number): string {
  return `${formatUsdShort(outPicoPerToken * 1000)}/M output`;
}

/** A duration in the largest whole unit that fits: "10m", "90s", "1h 30m". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s % 60 !== 0 && s < 600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  return m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h ${m % 60}m`;
}
