import { elementEnds, historyLayout, type HistoryLayout } from './json-layout.js';
import { asRecord, tryParse } from './providers/json.js';
import { sharedPrefix, sharedSuffix } from './shared-bytes.js';

/**
 * An agent resends its whole conversation with every request, and parsing it was most of what a
 * long session's request cost capped (issue 11: 1.4 ms of JSON.parse for a 590 KB body, and the
 * collector's copying of what it made, more again). A body that repeats one parsed lately, but for
 * messages added or changed at the end of its history, is parsed only from the first changed
 * message on; the rest is the earlier body's values. The answer is what JSON.parse gives, and
 * nothing in the proxy changes a parsed body (edits make copies), so values are shared safely.
 */

/** One body parsed lately: its bytes, what JSON.parse made of them, and its history's layout once known. */
interface Parsed {
  readonly raw: Buffer;
  readonly value: Record<string, unknown>;
  readonly key: string;
  /** Undefined until a later body asks; null when the body is not laid out for reuse. */
  layout: HistoryLayout | null | undefined;
}

export interface RequestBodyLimits {
  /** Bodies kept: one for each conversation going on at once (an agent and its subagents). */
  readonly entries: number;
  /** Bytes the kept bodies may hold together; their parsed values take a few times that. */
  readonly bytes: number;
}

const DEFAULT_LIMITS: RequestBodyLimits = { entries: 4, bytes: 8 * 1024 * 1024 };

export class RequestBodies {
  private kept: Parsed[] = [];
  /** Bodies parsed, those of them that reused an earlier one, and the bytes given to JSON.parse. */
  readonly counts = { parsed: 0, reused: 0, bytesParsed: 0 };

  constructor(private readonly limits: RequestBodyLimits = DEFAULT_LIMITS) {}

  /**
   * The body as JSON.parse reads it (undefined when it is not a JSON object). `historyKey`: the
   * top-level array the provider's conversation is in (messages, input, contents), or null to
   * parse the body whole and keep nothing.
   */
  parse(raw: Buffer, historyKey: string | null): Record<string, unknown> | undefined {
    this.counts.parsed++;
    if (historyKey === null) return this.whole(raw);
    const best = this.closest(raw, historyKey);
    const reused = best === null ? null : this.reuse(best.entry, best.prefix, raw);
    if (reused !== null) {
      this.counts.reused++;
      this.keep({ raw, value: reused.value, key: historyKey, layout: reused.layout }, best!.entry);
      return reused.value;
    }
    const value = this.whole(raw);
    // Another conversation's body may share a start with it: it stays kept beside this one.
    if (value !== undefined) this.keep({ raw, value, key: historyKey, layout: undefined }, null);
    return value;
  }

  /** Bodies kept now. */
  get entries(): number {
    return this.kept.length;
  }

  private whole(raw: Buffer): Record<string, unknown> | undefined {
    this.counts.bytesParsed += raw.length;
    return asRecord(tryParse(raw.toString('utf8')));
  }

  /** The kept body of the same history key that shares the longest start with `raw`. */
  private closest(raw: Buffer, key: string): { entry: Parsed; prefix: number } | null {
    let best: { entry: Parsed; prefix: number } | null = null;
    for (const entry of this.kept) {
      if (entry.key !== key) continue;
      const prefix = sharedPrefix(entry.raw, raw);
      if (best === null || prefix > best.prefix) best = { entry, prefix };
    }
    return best;
  }

  /**
   * `raw` read from `entry`: the bytes before its history's first changed element and after its
   * history's end are the same, so only the elements between are parsed. Null when the bodies do
   * not differ so (then `raw` is parsed whole).
   */
  private reuse(entry: Parsed, prefix: number, raw: Buffer): { value: Record<string, unknown>; layout: HistoryLayout | null | undefined } | null {
    // The same bytes again (a retry, or a request sent twice): the same value.
    if (prefix === raw.length && prefix === entry.raw.length) return { value: entry.value, layout: entry.layout };
    if (entry.layout === undefined) entry.layout = historyLayout(entry.raw, entry.key);
    const layout = entry.layout;
    if (layout === null || prefix <= layout.open) return null;
    const before = entry.raw;
    const suffix = sharedSuffix(before, raw, Math.min(before.length, raw.length) - prefix);
    // The history's `]` and all after it must be unchanged; its place moves by the size difference.
    if (layout.close < before.length - suffix) return null;
    const shift = raw.length - before.length;
    const close = layout.close + shift;
    const kept = elementsWithin(layout.ends, prefix);
    const from = kept === 0 ? layout.open + 1 : layout.ends[kept - 1]!;
    if (close < from) return null;
    const added = elementEnds(raw, from, kept === 0);
    if (added === null || added.close !== close) return null;
    const history = (entry.value[entry.key] as unknown[]).slice(0, kept);
    if (added.ends.length > 0) {
      const start = kept === 0 ? from : raw.indexOf(',', from) + 1;
      this.counts.bytesParsed += close - start;
      const parsed = tryParse(`[${raw.toString('utf8', start, close)}]`);
      if (!Array.isArray(parsed) || parsed.length !== added.ends.length) return null;
      for (const element of parsed) history.push(element);
    }
    return {
      value: { ...entry.value, [entry.key]: history },
      // The earlier body's entry gives way to this one (keep), so its list of ends is taken over.
      layout: { open: layout.open, close, ends: extended(layout.ends as number[], kept, added.ends) },
    };
  }

  /**
   * Keeps `parsed` first, in place of `replaces` (its conversation's earlier body), within the
   * limits; a body over the byte limit alone is not kept, and the others stay.
   */
  private keep(parsed: Parsed, replaces: Parsed | null): void {
    const rest = this.kept.filter((e) => e !== replaces);
    const kept = parsed.raw.length <= this.limits.bytes ? [parsed] : [];
    let bytes = kept.length > 0 ? parsed.raw.length : 0;
    for (const e of rest) {
      if (kept.length >= this.limits.entries || bytes + e.raw.length > this.limits.bytes) break;
      kept.push(e);
      bytes += e.raw.length;
    }
    this.kept = kept;
  }
}

/** `ends` cut to its first `kept` and `added` after them, in place. */
function extended(ends: number[], kept: number, added: readonly number[]): number[] {
  ends.length = kept;
  for (const end of added) ends.push(end);
  return ends;
}

/** How many elements end at or before `at` (`ends` ascends). */
function elementsWithin(ends: readonly number[], at: number): number {
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid]! <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
