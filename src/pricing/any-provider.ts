import type { Quote } from '../budget/types.js';
import type { PriceBook } from './price-book.js';

/** The pricing ids of the providers capped meters, in the order a bare model name is looked up. */
export const PRICING_IDS = ['anthropic', 'openai', 'google'] as const;

/** The quote for `model` from the first provider that prices it, or null: a model named in the policy, of any provider. */
export function quoteAnyProvider(prices: Pick<PriceBook, 'quote'>, model: string, inputTokens = 0): Quote | null {
  for (const id of PRICING_IDS) {
    const quote = prices.quote(id, model, inputTokens);
    if (quote !== null) return quote;
  }
  return null;
}
