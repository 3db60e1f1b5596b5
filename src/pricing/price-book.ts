import type { calcPrice as genaiCalcPrice, ModelPrice } from '@pydantic/genai-prices';
import { usdToNano, type Nano } from '../budget/money.js';
import { lazyRequireOneByte } from '../lazy-require.js';
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

/**
 * The genai-prices providers capped prices with: every provider module's `pricingId`
 * (test/unit/pricing/priced-providers.test.ts checks the list against them).
 */
export const PRICED_PROVIDERS: readonly string[] = ['anthropic', 'openai', 'google'];

/**
 * genai-prices' provider list cut to `ids` and the providers they fall back to for models of their
 * own (`fallback_model_providers`, e.g. Google's Claude models). genai-prices finds a provider by
 * its id before anything else, so it prices these exactly as with the whole list; the other 29
 * providers' data would only sit in capped's heap. Anything not shaped as a provider list is kept
 * whole.
 */
export function keepProviders(ids: readonly string[]): (data: unknown) => unknown {
  return (data) => {
    if (!Array.isArray(data) || !data.every((p) => typeof p === 'object' && p !== null && typeof (p as { id?: unknown }).id === 'string')) return data;
    const providers = data as { id: string; fallback_model_providers?: unknown }[];
    const keep = new Set<string>();
    const todo = [...ids];
    while (todo.length > 0) {
      const id = todo.pop()!;
      if (keep.has(id)) continue;
      keep.add(id);
      const fallbacks = providers.find((p) => p.id === id)?.fallback_model_providers;
      if (Array.isArray(fallbacks)) todo.push(...fallbacks.filter((f): f is string => typeof f === 'string'));
    }
    return providers.filter((p) => keep.has(p.id));
  };
}

// Loaded with only the priced providers' data, and none of the data's source, kept: about 1.2 MB
// less of the heap than the whole module (test/integration/pricing/one-byte-load.test.ts), which
// keeps a run's old generation under the 8 MB line described in lazy-require.ts.
const genaiPrices = lazyRequireOneByte<{ calcPrice: CalcPrice }>('@pydantic/genai-prices', keepProviders(PRICED_PROVIDERS));

/**
 * genai-prices' `calcPrice`, loaded on the first price asked for: its data is most of a megabyte
 * of JavaScript, which a run that makes no request (and every other command) never needs. The
 * minified CommonJS build is required synchronously because pricing is synchronous; it is loaded
 * once per process.
 */
export const lazyCalcPrice: CalcPrice = (...args) => genaiPrices().calcPrice(...args);

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
  /**
   * The rates hold while a request's input (plain, cache reads and writes together) is at most
   * this many tokens: genai-prices' tiered prices (Anthropic's long context) switch every rate of
   * the request above a tier's start. Infinity when the model has no tiers.
   */
  upTo: number;
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
  if (u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h > p.upTo) return null;
  // One sum, no array of [count, rate] pairs: a request is priced several times (issue 11).
  const pico =
    picoAt(u.input, p.input) +
    picoAt(u.output, p.output) +
    kindPico(u.cacheRead, p.cacheRead) +
    kindPico(u.cacheWrite5m, p.cacheWrite5m) +
    kindPico(u.cacheWrite1h, p.cacheWrite1h) +
    kindPico(u.webSearches, p.perSearch === undefined ? undefined : p.perSearch * 1e6);
  return Number.isNaN(pico) ? null : Math.round(pico / 1000);
}

/** A usage kind's pico-dollars; NaN when it is used and the table has no rate for it. */
function kindPico(count: number, rate: number | undefined): number {
  if (count === 0) return 0;
  return rate === undefined ? NaN : picoAt(count, rate);
}

function flatQuote(p: FlatPrices, inputTokens: number): Quote | null {
  if (inputTokens > p.upTo) return null;
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
  /**
   * Loads the price data now, ahead of the first request, which would otherwise wait for it (about
   * 60 ms: most of a megabyte of JavaScript to compile and run).
   */
  warm(): void;
}

/** Input tokens by billing kind (all kinds of `BillableUsage` that come before any output). */
export type InputSplit = Pick<BillableUsage, 'input' | 'cacheRead' | 'cacheWrite5m' | 'cacheWrite1h'>;

const PROBE_TOKENS = 1_000_000;
/** Any model genai-prices knows: warming loads its data and its matching code, whatever the model. */
const WARM_MODEL = { providerId: 'anthropic', model: 'claude-sonnet-4-5' };

/** A configured price as a flat table; a 1-hour cache write is priced at twice the input rate. */
function overrideTable(o: PriceOverride): FlatPrices {
  return {
    upTo: Infinity,
    input: o.input,
    output: o.output,
    cacheRead: o.cacheRead,
    cacheWrite5m: o.cacheWrite,
    cacheWrite1h: o.input * 2,
    perSearch: undefined,
  };
}

/** A price as genai-prices gives it: a number, or tiered ({ base, tiers: [{ start, price }] }). */
interface Rate {
  base: number;
  /** The lowest tier's start (Infinity for a plain number). */
  upTo: number;
}

function rateOf(v: ModelPrice[string]): Rate | null | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return num(v) === undefined ? null : { base: v, upTo: Infinity };
  if (num(v.base) === undefined || !Array.isArray(v.tiers)) return null;
  const starts = v.tiers.map((tier) => num(tier.start));
  if (starts.some((start) => start === undefined)) return null;
  return { base: v.base, upTo: Math.min(Infinity, ...(starts as number[])) };
}

/** genai-prices does not know the model under that provider, so no usage of it has a price. */
const UNKNOWN = 'unknown';

/**
 * The model's flat price table from genai-prices when its prices are numbers or tiered by input
 * size (priced flat up to the lowest tier; past it every request goes to genai-prices), and do
 * not change by date; null when genai-prices must price each request; UNKNOWN when it has no
 * price for the model. calcPrice costs 20–250 µs a call (it finds the model among the provider's
 * matchers), too much for every request.
 */
function genaiTable(calcPrice: CalcPrice, providerId: string, model: string): FlatPrices | null | typeof UNKNOWN {
  try {
    const r = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId });
    if (!r) return UNKNOWN;
    const mp = r.model_price;
    if (!mp || Array.isArray(r.model.prices)) return null;
    const rates = Object.fromEntries(Object.entries(mp).map(([k, v]) => [k, rateOf(v)]));
    if (Object.values(rates).some((v) => v === null)) return null;
    const { input_mtok: input, output_mtok: output } = rates;
    if (!input || !output) return null;
    const perK = rates.web_searches_kcount?.base;
    return {
      upTo: Math.min(...Object.values(rates).map((v) => v?.upTo ?? Infinity)),
      input: input.base,
      output: output.base,
      cacheRead: rates.cache_read_mtok?.base,
      cacheWrite5m: rates.cache_write_mtok?.base,
      cacheWrite1h: rates.cache_write_1h_mtok?.base,
      perSearch: perK === undefined ? undefined : perK / 1000,
    };
  } catch {
    return null;
  }
}

function contextWindowOf(calcPrice: CalcPrice, providerId: string, model: string): number | null {
  try {
    return num(calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId })?.model.context_window) ?? null;
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
  const flat = new Map<string, FlatPrices | null | typeof UNKNOWN>();
  // Asked on every request (the context a body's unseen content may fill): looked up once.
  const windows = new Map<string, number | null>();
  // A model genai-prices does not know is remembered as such: a run whose requests go to two
  // providers prices each request on the other's model too (admit.ts, alternative), and asking
  // genai-prices again each time cost 40–70 µs a request (issue 11).
  const flatOf = (providerId: string, model: string): FlatPrices | null | typeof UNKNOWN => {
    if (Object.hasOwn(overrides, model)) return overrideTable(overrides[model]!);
    const key = `${providerId}\u0000${model}`;
    if (!flat.has(key)) flat.set(key, genaiTable(calcPrice, providerId, model));
    return flat.get(key)!;
  };
  const costOn = (table: FlatPrices | null, providerId: string, model: string, u: BillableUsage): Nano | null => {
    const fast = table ? flatCost(table, u) : null;
    if (fast !== null) return fast;
    const usd = priceUsd(calcPrice, providerId, model, genaiUsage(u));
    return usd === null ? null : usdToNano(usd);
  };
  const quoteOn = (table: FlatPrices | null, providerId: string, model: string, inputTokens: number): Quote | null =>
    (table && flatQuote(table, inputTokens)) ?? probedQuote(calcPrice, providerId, model, inputTokens);

  const book: PriceBook = {
    cost(providerId, model, u) {
      const table = flatOf(providerId, model);
      return table === UNKNOWN ? null : costOn(table, providerId, model, u);
    },

    quote(providerId, model, inputTokens) {
      const table = flatOf(providerId, model);
      return table === UNKNOWN ? null : quoteOn(table, providerId, model, inputTokens);
    },

    quoteSplit(providerId, model, split) {
      // The table is looked up once and each object built whole: asked several times a request.
      const table = flatOf(providerId, model);
      if (table === UNKNOWN) return null;
      const plain = quoteOn(table, providerId, model, split.input + split.cacheRead + split.cacheWrite5m + split.cacheWrite1h);
      if (!plain) return null;
      const usage: BillableUsage = {
        input: split.input,
        output: 0,
        cacheRead: split.cacheRead,
        cacheWrite5m: split.cacheWrite5m,
        cacheWrite1h: split.cacheWrite1h,
        webSearches: 0,
      };
      const inputNano = costOn(table, providerId, model, usage);
      if (inputNano !== null) return { inputTokens: plain.inputTokens, inputNano, outPicoPerToken: plain.outPicoPerToken };
      // A model whose cache rates are unknown: writes at the highest multiplier any provider charges.
      if (split.cacheWrite5m + split.cacheWrite1h === 0) return plain;
      return { inputTokens: plain.inputTokens, inputNano: plain.inputNano * 2, outPicoPerToken: plain.outPicoPerToken };
    },

    contextWindow(providerId, model) {
      const key = `${providerId}\u0000${model}`;
      if (!windows.has(key)) windows.set(key, contextWindowOf(calcPrice, providerId, model));
      return windows.get(key)!;
    },

    warm() {
      priceUsd(calcPrice, WARM_MODEL.providerId, WARM_MODEL.model, { input_tokens: 1, output_tokens: 1 });
    },
  };
  return book;
}
