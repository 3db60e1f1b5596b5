import { describe, expect, it } from 'vitest';
import { barRefresher, type RefreshTimers } from '../../../src/supervisor/bar-refresh.js';

/** Timers on a hand-moved clock: `run(ms)` moves it and runs what falls due, in order. */
function fakeTimers(): RefreshTimers & { run(ms: number): void; queued(): number[] } {
  let now = 1000;
  let queue: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    later: (fn, ms) => void queue.push({ at: now + ms, fn }),
    queued: () => queue.map((t) => t.at - now),
    run(ms) {
      const until = now + ms;
      for (;;) {
        const due = queue.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        queue = queue.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = until;
    },
  };
}

describe('barRefresher', () => {
  it('paints a change after the turn it came in, not during it', () => {
    const timers = fakeTimers();
    let paints = 0;
    const changed = barRefresher(() => paints++, timers, 100);
    changed();
    expect(paints).toBe(0);
    expect(timers.queued()).toEqual([0]);
    timers.run(0);
    expect(paints).toBe(1);
  });

  it('paints a burst of changes once, and at most once an interval', () => {
    const timers = fakeTimers();
    const painted: number[] = [];
    let state = 0;
    const changed = barRefresher(() => painted.push(state), timers, 100);
    for (let i = 1; i <= 50; i++) {
      state = i;
      changed();
    }
    timers.run(0);
    expect(painted).toEqual([50]);
    // Changes over the next 100 ms: one paint, at the end of the interval, with the last state.
    for (let i = 51; i <= 60; i++) {
      timers.run(7);
      state = i;
      changed();
    }
    expect(painted).toEqual([50]);
    expect(timers.queued()).toEqual([30]);
    timers.run(30);
    expect(painted).toEqual([50, 60]);
  });

  it('paints at once again after a quiet interval', () => {
    const timers = fakeTimers();
    let paints = 0;
    const changed = barRefresher(() => paints++, timers, 100);
    changed();
    timers.run(0);
    timers.run(250);
    changed();
    expect(timers.queued()).toEqual([0]);
    timers.run(0);
    expect(paints).toBe(2);
  });
});
