import { formatUsd, type Nano } from '../budget/money.js';
import type { Quote } from '../budget/types.js';
import type { PriceBook } from '../pricing/price-book.js';
import { ConversationMemory, type CacheHints, type Continuation } from './conversations.js';
import type { InputEstimator } from './input-estimator.js';
import { predictInput, type InputPrediction, type PredictArgs } from './input-prediction.js';
import type { Provider } from './providers/types.js';

/** How input is priced before a request is sent: cache-aware (`likely`) or every token at its highest rate. */
export type ReserveMode = 'likely' | 'worst';

/** Context assumed for content the body does not show when the price data names no context window. */
const UNKNOWN_CONTEXT_TOKENS = 200_000;

/** A request priced again while it waited. */
export interface Repriced {
  quote: Quote;
  prediction: InputPrediction;
  continuation: Continuation | null;
}

/** A request priced for its reservation. */
export interface PricedRequest {
  quote: Quote;
  prediction: InputPrediction;
  /** Provider and model: the requests it may continue, and that may continue it. */
  key: string;
  hints: CacheHints;
  continuation: Continuation | null;
  /** An exact count was asked for (whether or not it answered). */
  counted: boolean;
  /**
   * Its new bytes refer to content they do not hold (a file, a URL): its bill says nothing about
   * tokens per byte.
   */
  hidden: boolean;
  /**
   * Prices it again from what the run knows now (a request that waited for others may continue
   * one of them by then, or find the cache warm): the same quote when nothing changed.
   */
  reprice: () => Repriced;
}

export type Pricing = { ok: true; priced: PricedRequest } | { ok: false; message: string };

export interface PricingDeps {
  prices: PriceBook;
  estimator: InputEstimator;
  conversations: ConversationMemory;
  mode: ReserveMode;
  now: () => Date;
  /** Where the request stands if priced at `quote`: forwarded now, waiting for others, or at a limit. */
  probe: (quote: Quote) => 'fits' | 'wait' | 'limit';
  /** Dollars the run still has free, for messages. */
  freeNano: () => Nano | null;
  /** The provider's exact count of this request's input, or null (no endpoint, failed). */
  count: (() => Promise<number | null>) | null;
}

export function conversationKey(provider: Provider, model: string): string {
  return `${provider.id}\u0000${model}`;
}

/**
 * Prices a generation request's input before it is sent: from what earlier requests of the
 * conversation were billed, cache-aware, and exactly counted by the provider when the body refers
 * to content it does not hold, or when the estimate would stop the run but a count might not.
 */
export async function priceRequest(d: PricingDeps, provider: Provider, json: Record<string, unknown>, raw: Buffer, model: string): Promise<Pricing> {
  const key = conversationKey(provider, model);
  const hints = provider.cacheHints(json);
  const continuation = d.conversations.match(key, raw, hints.continues);
  const args: PredictArgs = {
    rules: provider.cache,
    model,
    hints,
    body: raw,
    continuation,
    estimator: d.estimator,
    now: d.now().getTime(),
    cacheEfficiency: d.conversations.cacheEfficiency(key),
    hiddenMarkers: provider.hiddenMarkers,
  };
  const quoteOf = (p: InputPrediction): Quote | null => d.prices.quoteSplit(provider.pricingId, model, d.mode === 'worst' ? p.worst : p.likely);
  let prediction = predictInput(args);
  const hidden = prediction.uncertain;
  let quote = quoteOf(prediction);
  if (!quote) {
    return {
      ok: false,
      message:
        `capped: no price is known for model "${model}", so capped cannot keep this run under its cap and ` +
        `refused the request. Use a model with a published price, or update capped to get newer price data.`,
    };
  }
  let counted = false;
  let exactTotal: number | null = null;
  if (d.count && (prediction.uncertain || d.probe(quote) === 'limit')) {
    counted = true;
    exactTotal = await d.count();
    if (exactTotal !== null) {
      prediction = { ...predictInput({ ...args, exactTotal }), uncertain: false };
      quote = quoteOf(prediction) ?? quote;
    }
  }
  if (prediction.uncertain) {
    // Content the body does not show and no count of it: reserve as if it filled the context.
    const total = Math.max(prediction.total, d.prices.contextWindow(provider.pricingId, model) ?? UNKNOWN_CONTEXT_TOKENS);
    const worst = predictInput({ ...args, exactTotal: total }).worst;
    const worstQuote = d.prices.quoteSplit(provider.pricingId, model, worst) ?? quote;
    if (d.probe(worstQuote) === 'limit') {
      const free = d.freeNano();
      return {
        ok: false,
        message:
          `capped: this request refers to content its body does not hold (a file id or a URL) and its size could not ` +
          `be counted, so at worst it is ${total.toLocaleString('en-US')} input tokens (${formatUsd(worstQuote.inputNano)} ` +
          `before any output)${free === null ? '' : `, more than the ${formatUsd(Math.max(0, free))} this run has free`}. ` +
          `This one request was not sent; the run goes on. Send the content inline, or allow more with a higher --max-usd.`,
      };
    }
    quote = worstQuote;
  }
  const first: Repriced = { quote, prediction, continuation };
  const reprice = (): Repriced => {
    // Content nobody could count stays at its worst case.
    if (first.prediction.uncertain) return first;
    const fresh: PredictArgs = {
      ...args,
      continuation: d.conversations.match(key, raw, hints.continues),
      cacheEfficiency: d.conversations.cacheEfficiency(key),
      now: d.now().getTime(),
    };
    const p = { ...predictInput(exactTotal === null ? fresh : { ...fresh, exactTotal }), uncertain: false };
    const q = quoteOf(p);
    return q ? { quote: q, prediction: p, continuation: fresh.continuation } : first;
  };
  return { ok: true, priced: { quote, prediction, key, hints, continuation, counted, hidden, reprice } };
}
