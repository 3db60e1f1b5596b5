/** The bytes the SSE and JSON readers look for in what streams through. */
export const LF = 0x0a;
export const CR = 0x0d;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;

/** An empty buffer, shared: nothing ever writes into it. */
export const EMPTY_BYTES = Buffer.alloc(0);

/** Bytes compared per native call before narrowing down: large enough that memcmp dominates. */
const BLOCK = 64 * 1024;

/** Length of the longest common prefix of `a` and `b`, compared natively block by block. */
export function sharedPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let at = 0;
  while (at < n) {
    const end = Math.min(n, at + BLOCK);
    if (Buffer.compare(a.subarray(at, end), b.subarray(at, end)) !== 0) break;
    at = end;
  }
  if (at === n) return n;
  // The first difference is inside this block: find it by halving with native compares.
  let lo = at;
  let hi = Math.min(n, at + BLOCK);
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(a.subarray(lo, mid), b.subarray(lo, mid)) === 0) lo = mid;
    else hi = mid;
  }
  return a[lo] === b[lo] ? hi : lo;
}

/**
 * Length of the longest common suffix of `a` and `b`, at most `limit` bytes (so that a prefix
 * and a suffix never overlap).
 */
export function sharedSuffix(a: Uint8Array, b: Uint8Array, limit: number): number {
  const n = Math.min(a.length, b.length, limit);
  let len = 0;
  while (len < n) {
    const step = Math.min(BLOCK, n - len);
    const aEnd = a.length - len;
    const bEnd = b.length - len;
    if (Buffer.compare(a.subarray(aEnd - step, aEnd), b.subarray(bEnd - step, bEnd)) !== 0) {
      // Narrow down inside this block, from its end.
      let lo = 0;
      let hi = step;
      // Invariant: the last `lo` bytes of the block match; the last `hi` do not all match.
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (Buffer.compare(a.subarray(aEnd - mid, aEnd), b.subarray(bEnd - mid, bEnd)) === 0) lo = mid;
        else hi = mid;
      }
      return len + lo;
    }
    len += step;
  }
  return len;
}

/**
 * `parts` as the fewest buffers they make back to back, each a view, never a copy: the events a
 * framer cut from one chunk lie back to back in it, but the first of them began in the chunk
 * before and is a buffer of its own (SseFramer joins only that event). Joining them into one
 * buffer copied nearly every byte of a stream of short deltas once more (issue 11). Empty parts
 * are left out.
 */
export function contiguousRuns(parts: readonly Buffer[]): Buffer[] {
  const runs: Buffer[] = [];
  let first: Buffer | undefined;
  let end = 0;
  const close = (): void => {
    if (first) runs.push(end - first.byteOffset === first.length ? first : Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset));
  };
  for (const part of parts) {
    if (part.length === 0) continue;
    if (first && part.buffer === first.buffer && part.byteOffset === end) {
      end += part.length;
      continue;
    }
    close();
    first = part;
    end = part.byteOffset + part.length;
  }
  close();
  return runs;
}
