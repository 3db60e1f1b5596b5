import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KnownRow, Ledger, RequestEntry } from '../../../src/ledger/ledger.js';
import type { Liveness } from '../../../src/ledger/run-status.js';
import { BACKENDS, makeStore, type Store } from './helpers/backends.js';
import { at, request, runStart, T0 } from '../../helpers/ledger-rows.js';

const DOLLAR = 1_000_000_000;

/** Request `key` as the journal writes it before forwarding: its worst case, estimated. */
function reservation(runId: string, key: string, nano: number, extra: Partial<RequestEntry> = {}): RequestEntry {
  return {
    ...request(runId, 0),
    key,
    provider: 'unknown',
    tokens: { input: 0, output: 4000, cacheRead: 0, cacheWrite: 0 },
    costNano: nano,
    estimated: true,
    reserved: true,
    ...extra,
  };
}

describe.each(BACKENDS)('durable reservations on %s', (backend) => {
  let store: Store;
  let ledger: Ledger;
  const alive = new Set<number>([4242]);
  const liveness: Liveness = { host: 'test-host', isAlive: (pid) => alive.has(pid) };

  beforeEach(async () => {
    alive.clear();
    alive.add(4242);
    store = await makeStore(backend);
    ledger = await store.open({ now: () => new Date(T0 + 60_000), liveness });
    await ledger.startRun(runStart('r1'));
  });
  afterEach(async () => {
    await ledger.close();
    await store.cleanup();
  });

  it('charges a reserved request at its reservation until it settles, then at its cost, counted once', async () => {
    await ledger.recordRequest(reservation('r1', 'q1', 300_000_000));
    let run = (await ledger.getRun('r1'))!;
    expect(run.spentNano).toBe(300_000_000);
    expect(run.requestCount).toBe(1);
    expect(run.requests).toMatchObject([{ costNano: 300_000_000, estimated: true, reserved: true }]);
    expect((await ledger.windowSpend({ since: new Date(T0) })).nano).toBe(300_000_000);

    await ledger.recordRequest({ ...request('r1', 0, { costNano: 12_000_000 }), key: 'q1' });
    run = (await ledger.getRun('r1'))!;
    expect(run.spentNano).toBe(12_000_000);
    expect(run.requestCount).toBe(1);
    expect(run.requests).toHaveLength(1);
    expect(run.requests[0]).toMatchObject({ costNano: 12_000_000, estimated: false, provider: 'anthropic' });
    expect(run.requests[0]!.reserved).toBeUndefined();
    expect(await ledger.windowSpend({ since: new Date(T0) })).toEqual({ nano: 12_000_000, usd: 0.012, requests: 1 });
  });

  it('drops a released reservation and never a settled request', async () => {
    await ledger.recordRequest(reservation('r1', 'q1', 300_000_000));
    await ledger.recordRequest(reservation('r1', 'q2', 200_000_000));
    await ledger.recordRequest({ ...request('r1', 1, { costNano: 5_000_000 }), key: 'q2' });
    await ledger.dropRequest('r1', 'q1');
    await ledger.dropRequest('r1', 'q2');
    const run = (await ledger.getRun('r1'))!;
    expect(run.requests.map((r) => r.costNano)).toEqual([5_000_000]);
    expect(run.spentNano).toBe(5_000_000);
    expect(run.requestCount).toBe(1);
  });

  it('leaves a killed run charged at the reservation of its request in flight, in its record and the windows', async () => {
    await ledger.recordRequest({ ...request('r1', 0), key: 'q1' });
    await ledger.recordRequest(reservation('r1', 'q2', 250_000_000, { at: at(5) }));
    alive.clear(); // capped was killed: its pid is gone
    const run = (await ledger.getRun('r1'))!;
    expect(run.status).toBe('aborted');
    expect(run.record.spent.usd).toBe(0.251);
    expect(run.record.spent.requests).toBe(2);
    expect(run.record.estimated).toBe(true);
    expect(run.requests[1]).toMatchObject({ costNano: 250_000_000, reserved: true, estimated: true });
    expect((await ledger.windowSpend({ since: new Date(T0) })).nano).toBe(251_000_000);
  });

  it('counts a reserved request by its live window hold, and by its row once the hold is gone', async () => {
    const hold = (id: string, nano: number, when: number) => ({
      id,
      runId: 'r1',
      at: new Date(when).toISOString(),
      nano,
      expiresAt: new Date(when + 30 * 60_000).toISOString(),
      windows: [{ since: new Date(T0), ceilingNano: DOLLAR }],
    });
    expect(await ledger.holdWindow(hold('r1:q1', 600_000_000, T0 + 1000))).toBe(true);
    await ledger.recordRequest(reservation('r1', 'q1', 600_000_000, { holdId: 'r1:q1' }));
    // Counted once (by the hold): 0.6 + 0.4 fits a $1 window, 0.6 + 0.6 + 0.4 would not.
    expect((await ledger.windowSpend({ since: new Date(T0) })).nano).toBe(0);
    expect(await ledger.holdWindow(hold('r1:x', 400_000_000, T0 + 2000))).toBe(true);
    await ledger.releaseHold('r1:x');
    // The hold expired (its capped was killed): the row now counts it, still once.
    const later = T0 + 31 * 60_000;
    expect(await ledger.holdWindow(hold('r1:y', 400_000_001, later))).toBe(false);
    expect(await ledger.holdWindow(hold('r1:y', 400_000_000, later))).toBe(true);
  });

  it('writes the same rows and totals when told what it holds for a request (new, reserved) as when it looks', async () => {
    await ledger.startRun(runStart('r2'));
    // r1 is told, r2 is not: a reservation with a window hold, settles in place, and a settle
    // whose reservation row is missing after all (written the general way).
    const steps = (runId: string): [RequestEntry, KnownRow][] => [
      [reservation(runId, 'q1', 300_000_000), 'new'],
      [reservation(runId, 'q2', 200_000_000, { holdId: `${runId}:q2` }), 'new'],
      [{ ...request(runId, 0, { costNano: 12_000_000, reservedInputNano: 9, billedInputNano: 8 }), key: 'q1' }, 'reserved'],
      [{ ...request(runId, 1, { costNano: 7_000_000, estimated: true }), key: 'q2' }, 'reserved'],
      [{ ...request(runId, 2, { costNano: 5_000_000 }), key: 'q3' }, 'reserved'],
      [reservation(runId, 'q4', 100_000_000, { at: at(9), holdId: `${runId}:q4` }), 'new'],
    ];
    for (const [row, known] of steps('r1')) await ledger.recordRequest(row, known);
    for (const [row] of steps('r2')) await ledger.recordRequest(row);
    const rows = async (runId: string) =>
      (await store.query(`SELECT * FROM requests WHERE run_id = '${runId}' ORDER BY request_key`)).map(({ id: _id, run_id: _run, hold_id, ...rest }) => ({
        ...rest,
        hold_id: hold_id === null ? null : (hold_id as string).replace(runId, 'RUN'),
      }));
    expect(await rows('r1')).toEqual(await rows('r2'));
    // A settled row no longer names the hold its reservation had; a reservation keeps its own.
    expect((await rows('r1')).map((r) => r.hold_id)).toEqual([null, null, null, 'RUN:q4']);
    const [one, two] = [(await ledger.getRun('r1'))!, (await ledger.getRun('r2'))!];
    expect(one.spentNano).toBe(12_000_000 + 7_000_000 + 5_000_000 + 100_000_000);
    expect([one.spentNano, one.requestCount]).toEqual([two.spentNano, two.requestCount]);
    expect(one.requestCount).toBe(4);
  });
});
