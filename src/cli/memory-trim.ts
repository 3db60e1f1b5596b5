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
 * young generation stays at its largest (32 MB) and its old space at about three times what is
 * live, and its memory reducer does not run again in an idle process. Measured with
 * bench/memory.js (10,000 requests, then 20 s with none): 121–132 MB held all 20 s without this,
 * 90–102 MB after the one collection, which took about 20 ms. So once the run has been quiet for
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
