import { formatWhole, tokensAffordable, type Nano } from '../budget/money.js';
import { formatUsdShort } from '../model/format.js';

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
