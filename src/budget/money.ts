/**
 * Money inside capped is an integer count of nano-dollars (1e-9 USD). Floating sums drift, and a
 * reservation released by subtraction must return to exactly zero; integers guarantee that.
 */
export type Nano = number;

export const NANO_PER_USD = 1_000_000_000;

/** Converts a dollar amount (a float from a price table or the CLI) to whole nano-dollars. */
export function usdToNano(usd: number): Nano {
  return Math.round(usd * NANO_PER_USD);
}

/** Converts nano-dollars back to dollars for display and records. */
export function nanoToUsd(nano: Nano): number {
  return nano / NANO_PER_USD;
}

/**
 * Cost in nano-dollars of `tokens` at a rate of `picoPerToken` pico-dollars each, rounded up so a
 * reservation is never smaller than the spend it covers.
 */
export function costOfTokens(tokens: number, picoPerToken: number): Nano {
  return Math.ceil((tokens * picoPerToken) / 1000);
}

/** How many whole tokens at `picoPerToken` fit in `nano`; unlimited when the rate is zero. */
export function tokensAffordable(nano: Nano, picoPerToken: number): number {
  if (nano <= 0) return 0;
  if (picoPerToken <= 0) return Number.MAX_SAFE_INTEGER;
  return Math.floor((nano * 1000) / picoPerToken);
}

/** Formats dollars for people: cents for large amounts, more digits for small ones. */
/**
 * A whole number with thousands separators ("12,345"), as `toLocaleString('en-US')` prints it, but
 * without ICU's number formatter: its first use costs 50–90 ms, a large share of start-up.
 */
export function formatWhole(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

export function formatUsd(nano: Nano): string {
  const usd = nanoToUsd(nano);
  const abs = Math.abs(usd);
  const wholeCents = nano % 10_000_000 === 0;
  const digits = wholeCents || abs >= 10 ? 2 : abs >= 0.01 ? 4 : 6;
  return `$${usd.toFixed(digits)}`;
}
