import type { InputSplit } from '../pricing/price-book.js';
import { sharedPrefix, sharedSuffix } from './shared-bytes.js';

export type { InputSplit };

export function splitTotal(s: InputSplit): number {
  return s.input + s.cacheRead + s.cacheWrite5m + s.cacheWrite1h;
}

/** What a request body says about prompt caching (read by its provider module). */
export interface CacheHints {
  /** Explicit cache breakpoints (Anthropic `cache_control`); 0 for providers that cache on their own. */
  breakpoints: number;
  /** The last breakpoint is on the final message: the whole prompt is cacheable. */
  throughEnd: boolean;
  /** The longest TTL a breakpoint asks for (writes are billed at its rate). */
  ttl: '5m' | '1h';
  /**
   * Identifies what comes before the conversation in the provider's prompt order (tools, system):
   * when it changes, nothing after it can be read from the cache.
   */
  fingerprint: string;
  /** A server-side conversation this request continues (OpenAI `previous_response_id`). */
  continues: string | null;
  /**
   * Bytes of what precedes the conversation (tools, system) when a breakpoint ends it, so another
   * conversation with the same prefix can read it from the cache; null without such a breakpoint.
   * Computed only when asked: it costs a pass over that prefix.
   */
  prefixBytes?: () => number | null;
}

/**
 * The hints a request kept in memory needs: not `prefixBytes`, whose closure holds the request's
 * parsed body. Kept, it held the last eight bodies of each model alive (issue 11: about 300 KB
 * for a 26 KB body), which every young-generation collection then copied.
 */
export type SeenHints = Omit<CacheHints, 'prefixBytes'>;

export function seenHints(h: CacheHints): SeenHints {
  return { breakpoints: h.breakpoints, throughEnd: h.throughEnd, ttl: h.ttl, fingerprint: h.fingerprint, continues: h.continues };
}

/** One request of the run as the provider billed it, kept to price the requests that continue it. */
export interface Seen {
  key: string;
  body: Buffer;
  at: number;
  hints: SeenHints;
  /** Input as billed (all kinds); null until the response settled with exact usage. */
  billed: InputSplit | null;
  output: number;
  responseId: string | null;
  /** Tokens a provider's automatic cache could have served it (0: too few to be cached). */
  cacheBasis: number;
}

/** How much of a new request an earlier one already holds. */
export interface Continuation {
  seen: Seen & { billed: InputSplit };
  /** Bytes of the new body shared with the earlier one (its common prefix plus common suffix). */
  sharedBytes: number;
  /** Of those, the common prefix: the unshared bytes of the new body start here. */
  prefixBytes: number;
  /** Bytes of the earlier body that the new one does not share. */
  droppedBytes: number;
}

/** How many settled requests are kept per provider and model. */
const KEEP = 8;
/** A match sharing less than this share of the new body, or fewer bytes, is not a continuation. */
const MIN_SHARE = 0.25;
const MIN_SHARED_BYTES = 256;
/** Settled requests an automatic cache's efficiency is judged on. */
const EFFICIENCY_SAMPLES = 3;

/**
 * Remembers the run's recent requests (their bodies and what the provider billed) so a new
 * request that continues one of them is priced from that bill: agents resend the whole
 * conversation every turn, and only the bytes that changed are unknown.
 */
export class ConversationMemory {
  private readonly byKey = new Map<string, Seen[]>();
  private readonly byResponse = new Map<string, Seen>();

  /** The earlier request this body continues most, or null. */
  match(key: string, body: Buffer, continues: string | null): Continuation | null {
    if (continues !== null) {
      const seen = this.byResponse.get(continues);
      // The server holds the earlier conversation: everything it billed is shared, whatever the body says.
      if (seen?.billed) return { seen: seen as Continuation['seen'], sharedBytes: 0, prefixBytes: 0, droppedBytes: 0 };
    }
    let best: Continuation | null = null;
    const list = this.byKey.get(key) ?? [];
    // Newest first: a conversation's latest turn is the likeliest match.
    for (let i = list.length - 1; i >= 0; i--) {
      const seen = list[i]!;
      if (!seen.billed) continue;
      const prefix = sharedPrefix(seen.body, body);
      if (prefix < 64 && best !== null) continue;
      const suffix = sharedSuffix(seen.body, body, Math.min(seen.body.length, body.length) - prefix);
      const shared = prefix + suffix;
      if (best === null || shared > best.sharedBytes) {
        best = { seen: seen as Continuation['seen'], sharedBytes: shared, prefixBytes: prefix, droppedBytes: seen.body.length - shared };
      }
      // Almost all of it is shared: no older request can do much better.
      if (shared >= body.length * 0.95) break;
    }
    return best !== null && best.sharedBytes >= Math.max(MIN_SHARED_BYTES, body.length * MIN_SHARE) ? best : null;
  }

  /** Records a request as sent; its bill arrives with `settled`. */
  sent(seen: Seen): void {
    const list = this.byKey.get(seen.key) ?? [];
    list.push(seen);
    if (list.length > KEEP) list.shift();
    this.byKey.set(seen.key, list);
  }

  settled(seen: Seen, billed: InputSplit, output: number, responseId: string | null): void {
    seen.billed = billed;
    seen.output = output;
    if (responseId) {
      seen.responseId = responseId;
      this.byResponse.set(responseId, seen);
      if (this.byResponse.size > 64) this.byResponse.delete(this.byResponse.keys().next().value!);
    }
  }

  /**
   * How much of what a provider's automatic cache could have served it did serve, over the latest
   * few settled requests under `key` that it could have served (the least of them); null before
   * any could. 0 when it served nothing.
   */
  cacheEfficiency(key: string): number | null {
    const list = this.byKey.get(key) ?? [];
    let least: number | null = null;
    let seenCount = 0;
    for (let i = list.length - 1; i >= 0 && seenCount < EFFICIENCY_SAMPLES; i--) {
      const seen = list[i]!;
      if (seen.cacheBasis <= 0 || !seen.billed) continue;
      seenCount++;
      const share = Math.min(1, seen.billed.cacheRead / seen.cacheBasis);
      least = least === null ? share : Math.min(least, share);
    }
    return least;
  }
}
