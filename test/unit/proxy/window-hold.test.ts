import { describe, expect, it } from 'vitest';
import type { BudgetEvent } from '../../../src/budget/types.js';
import type { ProxyDeps, WindowGate } from '../../../src/proxy/proxy-deps.js';
import { holdWindow } from '../../../src/proxy/window-hold.js';

const WINDOW = { kind: 'daily' as const, ceilingNano: 10, spentNano: 10, resetsAt: '2026-03-05T00:00:00.000Z' };

/** Proxy deps with a scripted window gate; records what was dispatched and released. */
function depsWith(gate: Partial<WindowGate>) {
  const dispatched: BudgetEvent[] = [];
  const released: string[] = [];
  const window: WindowGate = {
    hold: () => Promise.resolve({ ok: true }),
    release: (id) => released.push(id),
    waitForRoom: () => new Promise<void>(() => undefined),
    ...gate,
  };
  const deps = {
    window,
    keeper: { dispatch: (e: BudgetEvent) => (dispatched.push(e), []) },
    notify: () => undefined,
    now: () => new Date('2026-03-04T10:00:00Z'),
  } as unknown as ProxyDeps;
  return { deps, dispatched, released };
}

describe('holdWindow', () => {
  it('turns a failing hold into a refusal that says so, and releases the reservation', async () => {
    const { deps, dispatched, released } = depsWith({ hold: () => Promise.reject(new Error('Connection terminated unexpectedly')) });
    const outcome = await holdWindow(deps, 'q1', 100, 0, () => undefined);
    expect(outcome).toEqual({
      type: 'refused',
      message:
        'capped: the daily/weekly ceiling could not be checked because the ledger failed (Connection terminated unexpectedly), so the request was not sent. Check the ledger (capped runs), then try again.',
    });
    expect(dispatched).toEqual([{ type: 'release', id: 'q1' }]);
    expect(released).toEqual(['q1']);
  });

  it('gives up waiting for room (--on-limit pause) as soon as the client leaves', async () => {
    let leave: () => void = () => undefined;
    let signal: AbortSignal | undefined;
    const { deps, dispatched } = depsWith({
      hold: () => Promise.resolve({ ok: false, pause: true, window: WINDOW }),
      waitForRoom: (_w, _attempt, s) => {
        signal = s;
        return new Promise<void>((resolve) => s?.addEventListener('abort', () => resolve()));
      },
    });
    const outcome = holdWindow(deps, 'q1', 100, 2, (cancel) => (leave = cancel));
    await new Promise((r) => setImmediate(r));
    expect(signal?.aborted).toBe(false);
    leave();
    expect(await outcome).toEqual({ type: 'gone' });
    expect(dispatched).toEqual([{ type: 'release', id: 'q1' }]);
  });

  it('releases a hold that succeeded after the client left', async () => {
    let leave: () => void = () => undefined;
    let grant: () => void = () => undefined;
    const { deps, released } = depsWith({ hold: () => new Promise((resolve) => (grant = () => resolve({ ok: true }))) });
    const outcome = holdWindow(deps, 'q1', 100, 0, (cancel) => (leave = cancel));
    leave();
    grant();
    expect(await outcome).toEqual({ type: 'gone' });
    expect(released).toEqual(['q1']);
  });
});
