import type V8 from 'node:v8';
import vm from 'node:vm';
import { lazyRequire } from '../lazy-require.js';

const v8 = lazyRequire<typeof V8>('node:v8');

/** What the trimmer watches: the run's requests. */
export interface Traffic {
  /** Requests in flight (reserved, not yet settled). */
  inFlight(): number;
  /** A value that changes whenever a request starts, streams or settles. */
  activity(): unknown;
}

/**
 * After a burst of requests V8 keeps the heap the burst grew, however long capped then waits: its
 * old space stays above what is live, and its memory reducer does not run again in an idle
 * process. Measured with bench/memory.js (10,000 requests, then 20 s with none): with the heap
 * bounded (boundHeapGrowth) 80 MB held without this, 69 MB after the one collection; unbounded,
 * 121–132 MB held, 72–102 MB after it, which took about 20 ms. So once the run has been quiet for
 * two checks in a row (no request in flight, no activity) after taking requests, capped collects
 * once; a request that arrives during it waits that long.
 */
export function trimWhenQuiet(traffic: Traffic, everyMs: number, collect: () => void): () => void {
  let seen = traffic.activity();
  let trimmed = seen;
  let quietChecks = 0;
  const timer = setInterval(() => {
    const now = traffic.activity();
    quietChecks = now === seen && traffic.inFlight() === 0 ? quietChecks + 1 : 0;
    seen = now;
    if (quietChecks >= 2 && now !== trimmed) {
      trimmed = now;
      try {
        collect();
      } catch {
        // Memory not given back is all a failed collection costs.
      }
    }
  }, everyMs).unref();
  return () => clearInterval(timer);
}

/**
 * Keeps the heap near what is live while requests flow. V8 grows its young generation to 32 MB
 * under any steady load (it doubles it whenever as much has survived since the last growth as it
 * holds) and lets the old space reach about twice what is live before it collects, so a burst of
 * requests held capped at 110–135 MB when about 15 MB was live (bench/memory.js: 10,000 streaming
 * requests, 32 at a time). With the young generation kept at the size it has and the old space
 * let grow 20% past what is live, the same bench stays at 77–82 MB throughout. The price is more,
 * smaller collections: about 4% more of capped's CPU per request (medians of 5 runs, 1,646
 * against 1,576 µs). Both flags are read by V8 each time it sizes the heap, so setting them at
 * run time takes effect (test/integration/cli/heap-growth.test.ts, run on Node 20, 22 and 24).
 */
export const HEAP_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'] as const;

export function boundHeapGrowth(setFlags: (flags: string) => void = (flags) => v8().setFlagsFromString(flags)): void {
  for (const flag of HEAP_FLAGS) setFlags(flag);
}

let gc: (() => void) | null = null;

/**
 * A full garbage collection. Node 20 has no API for one without --expose-gc, which a CLI started
 * as `capped` cannot pass; the flag set at run time makes `gc` available to contexts made after it
 * (the way the expose-gc package does it), and only such a context is asked for it.
 */
export function fullCollection(): void {
  if (!gc) {
    v8().setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
