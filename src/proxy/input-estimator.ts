/** How many of the most recent observations the estimate learns from. */
const WINDOW = 20;
/** Safety margin over the highest tokens-per-byte ratio seen. */
const MARGIN = 1.15;

/**
 * Estimates a request's input tokens from its body size before the provider counts them. It starts
 * conservative (one token per 3 bytes: JSON structure makes real ratios lower) and then learns this
 * run's ratio from the counts providers report, keeping to the high side so reservations cover the
 * real input.
 */
export class InputEstimator {
  private readonly ratios: number[] = [];

  constructor(private readonly initialTokensPerByte = 1 / 3) {}

  estimate(bodyBytes: number): number {
    return Math.max(1, Math.ceil(bodyBytes * this.tokensPerByte()));
  }

  observe(bodyBytes: number, inputTokens: number): void {
    if (bodyBytes <= 0 || inputTokens <= 0) return;
    this.ratios.push(inputTokens / bodyBytes);
    if (this.ratios.length > WINDOW) this.ratios.shift();
  }

  tokensPerByte(): number {
    if (this.ratios.length === 0) return this.initialTokensPerByte;
    return Math.max(...this.ratios) * MARGIN;
  }
}
