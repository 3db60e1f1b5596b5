import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ledger, WindowHold } from '../../../src/ledger/ledger.js';
import { BACKENDS, makeStore, type Store } from './helpers/backends.js';

const T0 = new Date('2026-03-02T10:00:00.000Z');
const DAY_START = new Date('2026-03-02T00:00:00.000Z');
const DOLLAR = 1_000_000_000;

describe.each(BACKENDS)('window holds on %s', (backend) => {
  let store: Store;
  let ledger: Ledger;
  beforeEach(async () => {
    store = await makeStore(backend);
    ledger = await store.open({ now: () => T0 });
    await ledger.startRun({
      id: 'r1',
      command: ['agent'],
      cwd: '/repo',
      repo: '/repo',
      host: 'h',
      pid: 1,
      startedAt: T0.toISOString(),
      budget: { usd: 1, tokens: null, actions: null, verifyUsd: null },
      policy: { preset: null, onLimit: 'stop', escalation: 'allow', model: null, downgradeTo: null, restrictedTools: [] },
    });
  });
  afterEach(async () => {
    await ledger.close();
    await store.cleanup();
  });

  const hold = (id: string, nano: number, at = T0, ceiling = DOLLAR): WindowHold => ({
    id,
    runId: 'r1',
    at: at.toISOString(),
    nano,
    expiresAt: new Date(at.getTime() + 30 * 60_000).toISOString(),
    windows: [{ since: DAY_START, ceilingNano: ceiling }],
  });

  it('grants holds while spend plus holds stays within the ceiling, and refuses the one that would pass it', async () => {
    await ledger.recordRequest({
      runId: 'r1',
      at: T0.toISOString(),
      model: 'm',
      provider: 'anthropic',
      phase: 'implementation',
      tokens: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
      costNano: 400_000_000,
      estimated: false,
      retry: false,
    });
    expect(await ledger.holdWindow(hold('a', 300_000_000))).toBe(true);
    expect(await ledger.holdWindow(hold('b', 300_000_000))).toBe(true);
    expect(await ledger.holdWindow(hold('c', 1))).toBe(false);
    await ledger.releaseHold('a');
    expect(await ledger.holdWindow(hold('c', 300_000_000))).toBe(true);
  });

  it('ignores spend before the window started and holds that expired', async () => {
    await ledger.recordRequest({
      runId: 'r1',
      at: new Date(DAY_START.getTime() - 1).toISOString(),
      model: 'm',
      provider: 'anthropic',
      phase: 'implementation',
      tokens: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
      costNano: 900_000_000,
      estimated: false,
      retry: false,
    });
    expect(await ledger.holdWindow(hold('a', 900_000_000))).toBe(true);
    // 31 minutes later hold a has expired (a crashed run's hold does not block the window forever)
    const later = new Date(T0.getTime() + 31 * 60_000);
    expect(await ledger.holdWindow(hold('b', 900_000_000, later))).toBe(true);
    expect(await ledger.holdWindow(hold('c', 200_000_000, later))).toBe(false);
  });

  it('never lets concurrent holds together pass the ceiling', async () => {
    const others = await Promise.all([1, 2, 3].map(() => store.open({ now: () => T0 })));
    try {
      const all = [ledger, ...others];
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => all[i % all.length]!.holdWindow(hold(`h${i}`, 100_000_000))));
      expect(results.filter(Boolean)).toHaveLength(10);
    } finally {
      await Promise.all(others.map((l) => l.close()));
    }
  });
});
