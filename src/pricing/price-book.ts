import { createRequire } from 'node:module';
import type { calcPrice as genaiCalcPrice } from '@pydantic/genai-prices';
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

let loaded: CalcPrice | null = null;

/**
 * genai-prices' `calcPrice`, loaded on the first price asked for: its data is most of a megabyte
 * of JavaScript, which a run that makes no request (and every other command) never needs. The
 * minified CommonJS build is required synchronously because pricing is synchronous; it is loaded
 * once per process.
 */
export const lazyCalcPrice: CalcPrice = (...args) => {
  loaded ??= (createRequire(import.meta.url)('@pydantic/genai-prices') as { calcPrice: CalcPrice }).calcPrice;
  return loaded(...args);
};

/** A price set in configuration, in dollars per million tokens (numerically pico-dollars per token). */
export interface PriceOverride {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/**
 * A model's prices when they are plain numbers ($ per million tokens; per thousand for searches):
 * priced here in integer pico-dollars instead of asking genai-prices on every request. A kind the
 * table lacks (undefined) sends that usage back to genai-prices.
 */
interface FlatPrices {
  input: number;
  output: number;
  cacheRead: number | undefined;
  cacheWrite5m: number | undefined;
  cacheWrite1h: number | undefined;
  perSearch: number | undefined;
}

/** `tokens` at `perMillion` dollars per million, in pico-dollars (exact for prices to 6 decimals). */
function picoAt(tokens: number, perMillion: number): number {
  return tokens * Math.round(perMillion * 1e6);
}

function flatCost(p: FlatPrices, u: BillableUsage): Nano | null {
  const kinds: [number, number | undefined][] = [
    [u.cacheRead, p.cacheRead],
    [u.cacheWrite5m, p.cacheWrite5m],
    [u.cacheWrite1h, p.cacheWrite1h],
    [u.webSearches, p.perSearch === undefined ? undefined : p.perSearch * 1e6],
  ];
  let pico = picoAt(u.input, p.input) + picoAt(u.output, p.output);
  for (const [count, rate] of kinds) {
    if (count === 0) continue;
    if (rate === undefined) return null;
    pico += picoAt(count, rate);
  }
  return Math.round(pico / 1000);
}

function flatQuote(p: FlatPrices, inputTokens: number): Quote {
  return { inputTokens, inputNano: Math.ceil(picoAt(inputTokens, p.input) / 1000), outPicoPerToken: Math.round(p.output * 1e6) };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Prices usage; every answer is integer nano-dollars, or null for an unknown model (never $0). */
export interface PriceBook {
  cost(providerId: string, model: string, usage: BillableUsage): Nano | null;
  /** Price of a request before it is sent: its input estimate plus the per-token output rate. */
  quote(providerId: string, model: string, inputTokens: number): Quote | null;
  /** The same, with the input split by how it will be billed (plain, cache reads and writes). */
  quoteSplit(providerId: string, model: string, split: InputSplit): Quote | null;
  /** The model's context window in tokens, when the price data knows it. */
  contextWindow(providerId: string, model: string): number | null;
}

/** Input tokens by billing kind (all kinds of `BillableUsage` that come before any output). */
export type InputSplit = Pick<BillableUsage, 'input' | 'cacheRead' | 'cacheWrite5m' | 'cacheWrite1h'>;

const PROBE_TOKENS = 1_000_000;

/** A configured price as a flat table; a 1-hour cache write is priced at twice the input rate. */
function overrideTable(o: PriceOverride): FlatPrices {
  return { input: o.input, output: o.output, cacheRead: o.cacheRead, cacheWrite5m: o.cacheWrite, cacheWrite1h: o.input * 2, perSearch: undefined };
}

/**
 * The model's flat price table from genai-prices when its prices are plain numbers (no
 * long-context tiers, no dated price changes); null when genai-prices must price each request.
 */
function genaiTable(calcPrice: CalcPrice, providerId: string, model: string): FlatPrices | null {
  try {
    const r = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId });
    const mp = r?.model_price;
    const input = num(mp?.input_mtok);
    const output = num(mp?.output_mtok);
    const plain = mp !== undefined && Object.values(mp).every((v) => v === undefined || typeof v === 'number');
    if (!r || !mp || Array.isArray(r.model.prices) || !plain || input === undefined || output === undefined) return null;
    const kcount = num(mp.web_searches_kcount);
    return {
      input,
      output,
      cacheRead: num(mp.cache_read_mtok),
      cacheWrite5m: num(mp.cache_write_mtok),
      cacheWrite1h: num(mp.cache_write_1h_mtok),
      perSearch: kcount === undefined ? undefined : kcount / 1000,
    };
  } catch {
    return null;
  }
}

/** genai-prices' usage fields for capped's token kinds. */
function genaiUsage(u: BillableUsage): Record<string, number> {
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
  return usage;
}

/** The price genai-prices gives, or null when it cannot price it (never $0 for an error). */
function priceUsd(calcPrice: CalcPrice, providerId: string, model: string, usage: Record<string, number>): number | null {
  try {
    return calcPrice(usage, model, { providerId })?.total_price ?? null;
  } catch {
    // genai-prices throws on inconsistent usage; treat it like an unpriceable answer, never as $0.
    return null;
  }
}

/** A quote from genai-prices itself: the input price, and the output rate probed with a million tokens. */
function probedQuote(calcPrice: CalcPrice, providerId: string, model: string, inputTokens: number): Quote | null {
  const inputOnly = priceUsd(calcPrice, providerId, model, { input_tokens: inputTokens, output_tokens: 0 });
  const withOutput = priceUsd(calcPrice, providerId, model, { input_tokens: inputTokens, output_tokens: PROBE_TOKENS });
  if (inputOnly === null || withOutput === null) return null;
  // $ per million tokens is numerically pico-dollars per token; round away float noise, then up.
  const outPicoPerToken = Math.ceil(Math.round((withOutput - inputOnly) * 1e9) / 1e3);
  return { inputTokens, inputNano: Math.ceil(Math.round(inputOnly * 1e12) / 1e3), outPicoPerToken };
}

/**
 * Prices from configuration win over genai-prices for the models they name (a model genai-prices
 * lacks is then priced instead of refused). genai-prices itself is loaded at the first price
 * asked for, and each provider's model gets its flat table worked out once.
 */
export function createPriceBook(calcPrice: CalcPrice = lazyCalcPrice, overrides: Readonly<Record<string, PriceOverride>> = {}): PriceBook {
  const flat = new Map<string, FlatPrices | null>();
  const flatOf = (providerId: string, model: string): FlatPrices | null => {
    if (Object.hasOwn(overrides, model)) return overrideTable(overrides[model]!);
    const key = `${providerId}\u0000${model}`;
    if (!flat.has(key)) flat.set(key, genaiTable(calcPrice, providerId, model));
    return flat.get(key)!;
  };

  const book: PriceBook = {
    cost(providerId, model, u) {
      const table = flatOf(providerId, model);
      const fast = table ? flatCost(table, u) : null;
      if (fast !== null) return fast;
      const usd = priceUsd(calcPrice, providerId, model, genaiUsage(u));
      return usd === null ? null : usdToNano(usd);
    },

    quote(providerId, model, inputTokens) {
      const table = flatOf(providerId, model);
      return table ? flatQuote(table, inputTokens) : probedQuote(calcPrice, providerId, model, inputTokens);
    },

    quoteSplit(providerId, model, split) {
      const total = split.input + split.cacheRead + split.cacheWrite5m + split.cacheWrite1h;
      const plain = book.quote(providerId, model, total);
      if (!plain) return null;
      const inputNano = book.cost(providerId, model, { ...split, output: 0, webSearches: 0 });
      if (inputNano !== null) return { ...plain, inputNano };
      // A model whose cache rates are unknown: writes at the highest multiplier any provider charges.
      return split.cacheWrite5m + split.cacheWrite1h > 0 ? { ...plain, inputNano: plain.inputNano * 2 } : plain;
    },

    contextWindow(providerId, model) {
      try {
        return num(calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId })?.model.context_window) ?? null;
      } catch {
        return null;
      }
    },
  };
  return book;
}
