import type PerfHooks from 'node:perf_hooks';
import type V8 from 'node:v8';
import vm from 'node:vm';
import { lazyRequire } from '../lazy-require.js';

const v8 = lazyRequire<typeof V8>('node:v8');
const perfHooks = lazyRequire<typeof PerfHooks>('node:perf_hooks');

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

/** What boundHeapGrowth needs of V8; tests pass a fake. */
export interface HeapControl {
  setFlags(flags: string): void;
  /** The young generation's size (both semi-spaces), in bytes. */
  youngBytes(): number;
  /** Calls `then` after collections (some of them, batched) until the returned stop is called. */
  afterCollections(then: () => void): () => void;
}

/** The old space may grow this far past what is live before V8 collects it. */
export const OLD_GROWTH_FLAG = '--heap-growing-percent=20';
/** The young generation grows no further once it has reached this size (both semi-spaces). */
export const YOUNG_BYTES = 4 * 1024 * 1024;
export const YOUNG_STOP_FLAG = '--semi-space-growth-factor=1';
/** V8's own values of both (Node 20, 22 and 24). */
export const DEFAULT_FLAGS = ['--heap-growing-percent=0', '--semi-space-growth-factor=2'] as const;

/**
 * Keeps the heap near what is live while requests flow. V8 grows its young generation to 32 MB
 * under any steady load (it doubles it whenever as much has survived since the last growth as it
 * holds) and lets the old space reach about twice what is live before it collects, so a burst of
 * requests held capped at 110–135 MB when about 15 MB was live (bench/memory.js: 10,000 streaming
 * requests, 32 at a time). Here the old space is collected 20% past what is live, and the young
 * generation's growth stops at 4 MB: the same bench stays at 74–84 MB throughout, and capped's CPU
 * per request in the proxy bench is within noise of V8's defaults (four paired rows: +1% on
 * average). Stopped at its first size (1–2 MB) it held 77–81 MB but cost 4–13% more CPU (more,
 * smaller collections, more survivors promoted); stopped at 8 MB it came to 86–90 MB, against the
 * 90 MB target. Both flags are read by V8 each time it sizes the heap, so setting them at run time
 * takes effect (test/integration/cli/heap-growth.test.ts, run on Node 20, 22 and 24).
 *
 * Returns what puts V8's defaults back, for the end of the run: V8's compiled code carries a hash
 * of its flags, and the compile cache written at exit with these set was rejected by every later
 * process (which starts with the defaults), so each `capped` start compiled from source again.
 */
export function boundHeapGrowth(heap: HeapControl = v8Heap()): () => void {
  heap.setFlags(OLD_GROWTH_FLAG);
  let stop: (() => void) | null = null;
  if (heap.youngBytes() >= YOUNG_BYTES) heap.setFlags(YOUNG_STOP_FLAG);
  else {
    stop = heap.afterCollections(() => {
      if (heap.youngBytes() < YOUNG_BYTES) return;
      heap.setFlags(YOUNG_STOP_FLAG);
      stop?.();
      stop = null;
    });
  }
  return () => {
    stop?.();
    stop = null;
    for (const flag of DEFAULT_FLAGS) heap.setFlags(flag);
  };
}

/** The real V8, its collections seen through perf_hooks' `gc` entries (observed only until stopped). */
function v8Heap(): HeapControl {
  return {
    setFlags: (flags) => v8().setFlagsFromString(flags),
    youngBytes: () =>
      v8()
        .getHeapSpaceStatistics()
        .find((s) => s.space_name === 'new_space')?.space_size ?? 0,
    afterCollections(then) {
      const observer = new (perfHooks().PerformanceObserver)(then);
      observer.observe({ entryTypes: ['gc'] });
      return () => observer.disconnect();
    },
  };
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
