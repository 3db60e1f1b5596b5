/** How many of the most recent responses the ratio is learned from. */
const WINDOW = 32;
/** Before any response was read whole: characters per output token, on the low side of real text. */
const INITIAL_CHARS_PER_TOKEN = 2.5;
/** The share of observations below the learned ratio: low, so output is rarely under-counted. */
const OUTPUT_QUANTILE = 0.2;

/**
 * Estimates output tokens from the characters a response streamed, before the provider reports
 * its count: this run's characters per token, learned from the responses it read whole. A low
 * quantile, so the estimate runs ahead of the real count rather than behind it.
 */
export class OutputEstimator {
  private readonly ratios: number[] = [];
  private cached: number | null = null;

  tokens(chars: number): number {
    return Math.ceil(chars / this.charsPerToken());
  }

  observe(chars: number, tokens: number): void {
    if (chars <= 0 || tokens <= 0) return;
    this.ratios.push(chars / tokens);
    if (this.ratios.length > WINDOW) this.ratios.shift();
    this.cached = null;
  }

  charsPerToken(): number {
    if (this.ratios.length === 0) return INITIAL_CHARS_PER_TOKEN;
    if (this.cached === null) {
      const sorted = [...this.ratios].sort((a, b) => a - b);
      // Never below one character per token: a BPE token holds at least one.
      this.cached = Math.max(1, sorted[Math.floor(OUTPUT_QUANTILE * (sorted.length - 1))]!);
    }
    return this.cached;
  }
}
