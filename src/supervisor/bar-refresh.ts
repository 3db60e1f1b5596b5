/** Ten repaints a second at most: the bar reads as live, and a burst of requests costs ten renders, not one each. */
export const BAR_REFRESH_MS = 100;

export interface RefreshTimers {
  now(): number;
  /** Runs `fn` in `ms` (0: once this turn of the event loop, and the I/O it queued, is done). */
  later(fn: () => void, ms: number): void;
}

const realTimers: RefreshTimers = {
  now: () => performance.now(),
  later: (fn, ms) => {
    if (ms <= 0) setImmediate(fn);
    // A bar still to paint does not keep capped running.
    else setTimeout(fn, ms).unref();
  },
};

/**
 * Returns `changed()`, which has `paint` run after a change: never in the turn of the change (a
 * budget action comes in the middle of a request; its repaint waits until the request went on),
 * and at most once every `intervalMs`. Changes in between are painted together, at the end of
 * the interval: the last state always shows.
 */
export function barRefresher(paint: () => void, timers: RefreshTimers = realTimers, intervalMs = BAR_REFRESH_MS): () => void {
  let pending = false;
  let lastPaint = -Infinity;
  return () => {
    if (pending) return;
    pending = true;
    timers.later(
      () => {
        pending = false;
        lastPaint = timers.now();
        paint();
      },
      Math.max(0, lastPaint + intervalMs - timers.now()),
    );
  };
}
