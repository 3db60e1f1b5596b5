import { splitTotal, type CacheHints, type Continuation, type InputSplit } from './conversations.js';
import type { InputEstimator } from './input-estimator.js';

/** How a provider caches prompts, as far as a reservation needs to know. */
export type CacheRules =
  /** Breakpoints in the request (Anthropic): reads at a discount, writes at a premium by TTL. */
  | { kind: 'explicit'; minTokens: (model: string) => number }
  /** The provider caches prefixes on its own (OpenAI, Gemini): no write premium, no promise. */
  | { kind: 'automatic'; minTokens: number; step: number };

/** How a request's input is priced before it is sent: likely (cache-aware) and worst case. */
export interface InputPrediction {
  /** Input tokens, every kind together. */
  total: number;
  likely: InputSplit;
  /** Every input token at the highest rate it could be billed at (also: on a model with a cold cache). */
  worst: InputSplit;
  /** Tokens known from an earlier request's bill (the rest is estimated from bytes). */
  sharedTokens: number;
  /** The body references content its bytes do not show, in the part not known from a bill. */
  uncertain: boolean;
  /** Tokens an automatic cache could serve: the earlier prompt's part this one shares (0 below the minimum). */
  cacheBasis: number;
}

const TTL_MS: Record<CacheHints['ttl'], number> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

/** The most bytes a moved breakpoint marker takes in an earlier request's body. */
const MOVED_MARKER_BYTES = 256;
/** A prefix read from the cache is counted at this share of the learned ratio, so reads are not over-counted. */
const READ_SHARE = 0.9;

function allInput(total: number): InputSplit {
  return { input: total, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
}

function written(total: number, read: number, write: number, ttl: CacheHints['ttl']): InputSplit {
  const w = Math.max(0, Math.min(write, total - read));
  return { input: total - read - w, cacheRead: read, cacheWrite5m: ttl === '5m' ? w : 0, cacheWrite1h: ttl === '1h' ? w : 0 };
}

export interface PredictArgs {
  rules: CacheRules;
  model: string;
  hints: CacheHints;
  body: Buffer;
  continuation: Continuation | null;
  estimator: InputEstimator;
  now: number;
  /** How much of what it could serve a provider's automatic cache has served lately (null: no evidence). */
  cacheEfficiency: number | null;
  /** Byte patterns of references to content the body does not hold (file ids, URLs). */
  hiddenMarkers: readonly string[];
  /** An exact count of the input, when one was asked for. */
  exactTotal?: number;
}

function hasMarker(body: Buffer, from: number, to: number, markers: readonly string[]): boolean {
  if (to <= from) return false;
  const part = body.subarray(from, to);
  return markers.some((m) => part.includes(m));
}

/**
 * Prices a request's input before it is sent. A request that continues an earlier one of the run
 * takes that one's billed token count for the bytes they share; only the bytes that changed are
 * estimated. The cache split follows the provider: explicit breakpoints read what the earlier
 * request cached within its TTL and write the rest up to the last breakpoint; automatic caches are
 * expected to serve the shared prefix only while they have served this conversation before.
 */
export function predictInput(a: PredictArgs): InputPrediction {
  const c = a.continuation;
  let sharedTokens = 0;
  let estimated: number;
  let uncertain: boolean;
  if (c && c.sharedBytes === 0 && c.droppedBytes === 0) {
    // A server-side continuation: the earlier input and output are all part of this prompt.
    sharedTokens = splitTotal(c.seen.billed) + c.seen.output;
    estimated = a.estimator.estimate(a.body.length);
    uncertain = hasMarker(a.body, 0, a.body.length, a.hiddenMarkers);
  } else if (c) {
    sharedTokens = Math.max(0, splitTotal(c.seen.billed) - a.estimator.estimate(c.droppedBytes));
    const newBytes = a.body.length - c.sharedBytes;
    estimated = a.estimator.estimate(newBytes);
    uncertain = hasMarker(a.body, c.prefixBytes, c.prefixBytes + newBytes, a.hiddenMarkers);
  } else {
    estimated = a.estimator.estimate(a.body.length);
    uncertain = hasMarker(a.body, 0, a.body.length, a.hiddenMarkers);
  }
  const total = Math.max(1, a.exactTotal ?? sharedTokens + estimated);
  sharedTokens = Math.min(sharedTokens, total);
  const { hints } = a;
  const explicit = a.rules.kind === 'explicit' && hints.breakpoints > 0;
  const worst = explicit ? written(total, 0, total, hints.ttl) : allInput(total);
  // Only the earlier prompt was processed as a prompt: its output is new to a cache.
  const basis = c ? Math.min(sharedTokens, splitTotal(c.seen.billed)) : 0;
  const cacheBasis = a.rules.kind === 'automatic' && basis >= a.rules.minTokens ? basis : 0;
  return { total, likely: likelySplit(a, total, sharedTokens, cacheBasis), worst, sharedTokens, uncertain, cacheBasis };
}

/**
 * The earlier request is whole in this one but for, at most, its breakpoint marker moving on: a
 * later turn of the same conversation, whose whole cached prefix is read. Any other difference,
 * however small (another conversation's first message), ends what can be read at its breakpoint.
 */
function continuesWhole(c: Continuation): boolean {
  if (c.droppedBytes === 0) return true;
  if (c.droppedBytes > MOVED_MARKER_BYTES) return false;
  return c.seen.body.subarray(c.prefixBytes, c.prefixBytes + c.droppedBytes).includes('cache_control');
}

function likelySplit(a: PredictArgs, total: number, sharedTokens: number, cacheBasis: number): InputSplit {
  const { rules, hints } = a;
  const c = a.continuation;
  if (rules.kind === 'automatic') {
    // No promise: expect what the cache has lately served of what it could, and nothing before it has.
    const expected = Math.floor(cacheBasis * (a.cacheEfficiency ?? 0));
    if (expected < rules.minTokens) return allInput(total);
    const steps = Math.floor((expected - rules.minTokens) / rules.step);
    const cached = Math.min(total, rules.minTokens + steps * rules.step);
    return { input: total - cached, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0 };
  }
  if (hints.breakpoints === 0) return allInput(total);
  const seenCached = c ? c.seen.billed.cacheRead + c.seen.billed.cacheWrite5m + c.seen.billed.cacheWrite1h : 0;
  // Without the last breakpoint at the end, how much is cacheable is known only from an earlier
  // bill with the same layout; not knowing, all of it is priced as written.
  const cacheable = hints.throughEnd || !c ? total : Math.min(total, Math.max(seenCached, 0));
  if (cacheable < rules.minTokens(a.model)) return allInput(total);
  const warm = c !== null && c.seen.hints.breakpoints > 0 && c.seen.hints.fingerprint === hints.fingerprint && a.now - c.seen.at < TTL_MS[c.seen.hints.ttl];
  let read = 0;
  if (warm && continuesWhole(c)) read = Math.min(seenCached, sharedTokens, cacheable);
  else if (warm) {
    // Another conversation: only its tools and system, cached at their own breakpoint, are read.
    // (`warm` compared their fingerprints: the same tools and system, so the same breakpoints there.)
    const prefix = hints.prefixBytes?.() ?? null;
    if (prefix !== null) read = Math.min(seenCached, sharedTokens, cacheable, Math.floor(prefix * a.estimator.tokensPerByte() * READ_SHARE));
  }
  return written(total, read, cacheable - read, hints.ttl);
}
