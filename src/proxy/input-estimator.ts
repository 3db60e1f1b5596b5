/** How many of the most recent observations the ratio is learned from. */
const WINDOW = 32;
/** The share of observations the learned ratio covers: high, but not the single largest. */
const QUANTILE = 0.8;
/** Safety margin over that quantile. */
const MARGIN = 1.05;
/**
 * A BPE token covers at least one byte of text, so no request body holds more tokens than bytes.
 * A request billed more than that carried input its body does not show (a Files API document, a
 * server tool's page): it says nothing about the ratio and is not learned from.
 */
const MAX_TOKENS_PER_BYTE = 1;

/**
 * Estimates input tokens of request bytes before the provider counts them. It starts conservative
 * (one token per 3 bytes: JSON structure makes real ratios lower) and then learns this run's
 * ratio from the counts providers report: a high quantile of recent ratios, so one outlier does
 * not move it, and never above one token per byte.
 */
export class InputEstimator {
  private readonly ratios: number[] = [];
  private cached: number | null = null;

  constructor(private readonly initialTokensPerByte = 1 / 3) {}

  estimate(bytes: number): number {
    if (bytes <= 0) return 0;
    return Math.max(1, Math.ceil(bytes * this.tokensPerByte()));
  }

  observe(bytes: number, tokens: number): void {
    if (bytes <= 0 || tokens <= 0) return;
    const ratio = tokens / bytes;
    if (ratio > MAX_TOKENS_PER_BYTE) return;
    this.ratios.push(ratio);
    if (this.ratios.length > WINDOW) this.ratios.shift();
    this.cached = null;
  }

  tokensPerByte(): number {
    if (this.ratios.length === 0) return this.initialTokensPerByte;
    if (this.cached === null) {
      const sorted = [...this.ratios].sort((a, b) => a - b);
      const at = Math.min(sorted.length - 1, Math.floor(QUANTILE * sorted.length));
      this.cached = Math.min(MAX_TOKENS_PER_BYTE, sorted[at]! * MARGIN);
    }
    return this.cached;
  }
}
