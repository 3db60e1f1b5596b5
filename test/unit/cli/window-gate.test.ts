import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunJournal } from '../../../src/cli/run-journal.js';
import type { Ledger } from '../../../src/ledger/ledger.js';

// The window gate's waiting: a hold retried while other requests' holds fill the window, and the
// pause between looks at a full window, both back off and both stop as soon as the client leaves.

const NOW = new Date('2026-03-04T10:00:00');
const DAILY = { daily: 1_000_000_000, weekly: null };

/** A ledger whose window is always held full by other requests that would fit once settled. */
function fullLedger(): { ledger: Ledger; holds: () => number } {
  let holds = 0;
  const ledger = {
    holdWindow: () => {
      holds++;
      return Promise.resolve(false);
    },
    windowSpend: () => Promise.resolve({ nano: 0 }),
  } as unknown as Ledger;
  return { ledger, holds: () => holds };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the window gate', () => {
  it('retries a hold less and less often, and stops when the client leaves', async () => {
    const { ledger, holds } = fullLedger();
    const gate = new RunJournal(ledger, 'run1', () => undefined).windowGate(DAILY, false, () => NOW);
    const left = new AbortController();
    const held = gate.hold('q1', 100, left.signal);
    const outcome = held.then(
      () => 'resolved',
      (err: Error) => err.name,
    );
    await vi.advanceTimersByTimeAsync(30_000);
    // 50 ms doubling to 5 s: 11 looks in 30 s, where a 50 ms poll would have made 600.
    expect(holds()).toBeGreaterThanOrEqual(8);
    expect(holds()).toBeLessThanOrEqual(12);
    const before = holds();
    left.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(await outcome).toBe('AbortError');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(holds()).toBe(before);
  });

  it('waits longer between looks at a full window with each attempt, up to 5 minutes, never under a second', async () => {
    const gate = new RunJournal(fullLedger().ledger, 'run1', () => undefined).windowGate(DAILY, true, () => NOW);
    const window = { kind: 'daily' as const, ceilingNano: 1, spentNano: 1, resetsAt: '2026-03-05T00:00:00' };
    const waited = async (attempt: number, resetsAt = window.resetsAt): Promise<number> => {
      let done = false;
      void gate.waitForRoom({ ...window, resetsAt }, attempt).then(() => (done = true));
      let ms = 0;
      while (!done) {
        await vi.advanceTimersByTimeAsync(500);
        ms += 500;
      }
      return ms;
    };
    expect(await waited(0)).toBe(15_000);
    expect(await waited(2)).toBe(60_000);
    expect(await waited(10)).toBe(300_000);
    // The reset comes first: look then.
    expect(await waited(3, new Date(NOW.getTime() + 20_000).toISOString())).toBe(20_000);
    // A reset already past is looked at again after a second, not in a tight loop.
    expect(await waited(0, new Date(NOW.getTime() - 5_000).toISOString())).toBe(1_000);
  });

  it('stops waiting for room at once when the client leaves', async () => {
    const gate = new RunJournal(fullLedger().ledger, 'run1', () => undefined).windowGate(DAILY, true, () => NOW);
    const left = new AbortController();
    let done = false;
    void gate.waitForRoom({ kind: 'daily', ceilingNano: 1, spentNano: 1, resetsAt: '2026-03-05T00:00:00' }, 0, left.signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(false);
    left.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });
});
