import { calcPrice as genaiCalcPrice } from '@pydantic/genai-prices';
import { usdToNano, type Nano } from '../budget/money.js';
import type { Quote } from '../budget/types.js';

/** Token counts as a provider bills them; `input` excludes cache reads and writes. */
export interface BillableUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  webSearches: number;
}

export type CalcPrice = typeof genaiCalcPrice;

/** A price set in configuration, in dollars per million tokens (numerically pico-dollars per token). */
export interface PriceOverride {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Cost in nano-dollars of `tokens` at `perMillion` dollars per million tokens, rounded up. */
function nanoAt(tokens: number, perMillion: number): Nano {
  return Math.ceil(Math.round(tokens * perMillion * 1e6) / 1e3);
}

/** Prices usage with genai-prices; every answer is integer nano-dollars, or null for an unknown model. */
export interface PriceBook {
  cost(providerId: string, model: string, usage: BillableUsage): Nano | null;
  /** Price of a request before it is sent: its input estimate plus the per-token output rate. */
  quote(providerId: string, model: string, inputTokens: number): Quote | null;
}

const PROBE_TOKENS = 1_000_000;

/**
 * Prices from configuration win over genai-prices for the models they name (a model genai-prices
 * lacks is then priced instead of refused); a 1-hour cache write is priced at twice the input rate.
 */
export function createPriceBook(calcPrice: CalcPrice = genaiCalcPrice, overrides: Readonly<Record<string, PriceOverride>> = {}): PriceBook {
  const own = (model: string): PriceOverride | undefined => (Object.hasOwn(overrides, model) ? overrides[model] : undefined);
  const priceUsd = (providerId: string, model: string, usage: Record<string, number>): number | null => {
    try {
      return calcPrice(usage, model, { providerId })?.total_price ?? null;
    } catch {
      // genai-prices throws on inconsistent usage; treat it like an unpriceable answer, never as $0.
      return null;
    }
  };

  return {
    cost(providerId, model, u) {
      const o = own(model);
      if (o) {
        return (
          nanoAt(u.input, o.input) + nanoAt(u.output, o.output) + nanoAt(u.cacheRead, o.cacheRead) +
          nanoAt(u.cacheWrite5m, o.cacheWrite) + nanoAt(u.cacheWrite1h, o.input * 2)
        );
      }
      const cacheWrite = u.cacheWrite5m + u.cacheWrite1h;
      const usage: Record<string, number> = {
        input_tokens: u.input + u.cacheRead + cacheWrite,
        output_tokens: u.output,
        cache_read_tokens: u.cacheRead,
        cache_write_tokens: cacheWrite,
      };
      // genai-prices prices unlabelled writes at the 5-minute rate; name the 1-hour share explicitly.
      if (u.cacheWrite1h > 0) {
        usage.cache_write_1h_tokens = u.cacheWrite1h;
        usage.cache_write_5m_tokens = u.cacheWrite5m;
      }
      if (u.webSearches > 0) usage.web_searches = u.webSearches;
      const usd = priceUsd(providerId, model, usage);
      return usd === null ? null : usdToNano(usd);
    },

    quote(providerId, model, inputTokens) {
      const o = own(model);
      if (o) return { inputTokens, inputNano: nanoAt(inputTokens, o.input), outPicoPerToken: Math.ceil(o.output * 1e6) };
      const inputOnly = priceUsd(providerId, model, { input_tokens: inputTokens, output_tokens: 0 });
      const withOutput = priceUsd(providerId, model, { input_tokens: inputTokens, output_tokens: PROBE_TOKENS });
      if (inputOnly === null || withOutput === null) return null;
      // $ per million tokens is numerically pico-dollars per token; round away float noise, then up.
      const outPicoPerToken = Math.ceil(Math.round((withOutput - inputOnly) * 1e9) / 1e3);
      return { inputTokens, inputNano: Math.ceil(Math.round(inputOnly * 1e12) / 1e3), outPicoPerToken };
    },
  };
}
