import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReview } from '../../../src/html/commands.js';
import { runCurve } from '../../../src/html/curve-data.js';
import { causeOf, type ReviewData } from '../../../src/html/review-data.js';
import type { Ledger } from '../../../src/ledger/ledger.js';
import { seedReview } from '../../fixtures/review-ledger.js';
import { BACKENDS, makeStore, type Store } from '../ledger/helpers/backends.js';

// Noon UTC: the window is 2026-03-01T12:00Z to 2026-03-08T12:00Z, eight calendar days.
const NOW = Date.parse('2026-03-08T12:00:00.000Z');
const DAY = 86_400_000;

describe.each(BACKENDS)('the review page data from a seeded %s ledger', (backend) => {
  let store: Store;
  let ledger: Ledger;
  let data: ReviewData;

  beforeAll(async () => {
    store = await makeStore(backend);
    ledger = await store.open({ now: () => new Date(NOW) });
    await seedReview(ledger, NOW);
    data = await loadReview(ledger, { since: new Date(NOW - 7 * DAY), now: new Date(NOW), timeZone: 'UTC' });
  });
  afterAll(async () => {
    await ledger?.close();
    await store?.cleanup();
  });

  it('has every day of the window with its spend, runs and breaches, and the previous window beside it', () => {
    // Worked out from the seed: run i costs (i+1) × $0.002 × n(n+1)/2 with n = 4 + i mod 5.
    expect(data.days).toEqual([
      { day: '2026-03-01', usd: 0.02, previousDay: '2026-02-22', previousUsd: 0, runs: 1, breaches: 1, breachRate: 1 },
      { day: '2026-03-02', usd: 0.41, previousDay: '2026-02-23', previousUsd: 0.126, runs: 3, breaches: 2, breachRate: 0.6667 },
      { day: '2026-03-03', usd: 0.48, previousDay: '2026-02-24', previousUsd: 0, runs: 2, breaches: 1, breachRate: 0.5 },
      { day: '2026-03-04', usd: 0.21, previousDay: '2026-02-25', previousUsd: 0.224, runs: 1, breaches: 1, breachRate: 1 },
      // No run started that day: a bar of nothing, and no rate (not 0%).
      { day: '2026-03-05', usd: 0, previousDay: '2026-02-26', previousUsd: 0, runs: 0, breaches: 0, breachRate: null },
      { day: '2026-03-06', usd: 1.78, previousDay: '2026-02-27', previousUsd: 0.36, runs: 4, breaches: 2, breachRate: 0.5 },
      { day: '2026-03-07', usd: 0.906, previousDay: '2026-02-28', previousUsd: 0.12, runs: 2, breaches: 1, breachRate: 0.5 },
      { day: '2026-03-08', usd: 0.784, previousDay: '2026-03-01', previousUsd: 0, runs: 1, breaches: 0, breachRate: 0 },
    ]);
    expect({ spent: data.spentUsd, runs: data.runs, breaches: data.breaches }).toEqual({ spent: 4.59, runs: 14, breaches: 8 });
    expect(data.previous).toEqual({ spentUsd: 0.83, runs: 4, breaches: 3, breachRate: 0.75 });
  });

  it('counts breaches by their stored cause, with the previous window and the per-day trend', () => {
    // From the seed: even runs spend their last two requests verifying (over 40% of the spend but
    // for c03-like odd runs), c09 approved an escalation, c03 only needed more than its cap.
    expect(data.causes).toEqual([
      { cause: 'verification-heavy', runs: 6, previousRuns: 2, perDay: [1, 1, 1, 1, 0, 1, 1, 0] },
      { cause: 'cap-below-typical', runs: 1, previousRuns: 1, perDay: [0, 1, 0, 0, 0, 0, 0, 0] },
      { cause: 'escalation', runs: 1, previousRuns: 0, perDay: [0, 0, 0, 0, 0, 1, 0, 0] },
    ]);
  });

  it('takes the ten most expensive runs with their agent, model, cap and a curve of every request', () => {
    expect(data.top.map((r) => [r.id, r.spentUsd])).toEqual([
      ['c13', 0.784],
      ['c09', 0.72],
      ['c12', 0.546],
      ['c08', 0.504],
      ['c04', 0.36],
      ['c11', 0.36],
      ['c07', 0.336],
      ['c03', 0.224],
      ['c10', 0.22],
      ['c06', 0.21],
    ]);
    const c09 = data.top[1]!;
    expect({ agent: c09.agent, model: c09.model, cap: c09.capUsd, repo: c09.repo }).toEqual({
      agent: 'Claude Code',
      model: 'claude-opus-4-5',
      cap: 0.5,
      repo: '/work/shop',
    });
    expect(data.top[0]!.capUsd).toBeNull();
    for (const run of data.top) expect(run.curve.points.at(-1)!.usd).toBe(run.spentUsd);
    expect(data.top[1]!.curve.marks.map((m) => m.kind)).toEqual(['escalation', 'approval']);
  });

  it('draws c12 step by step: verification from its fifth request, then the approval and the hard stop', () => {
    const c12 = data.top[2]!.curve;
    expect(c12.points.map((p) => [p.t, p.usd, p.phase])).toEqual([
      [60_000, 0.026, 'implementation'],
      [120_000, 0.078, 'implementation'],
      [180_000, 0.156, 'implementation'],
      [240_000, 0.26, 'implementation'],
      [300_000, 0.39, 'verification'],
      [360_000, 0.546, 'verification'],
    ]);
    expect(c12.marks).toEqual([
      { t: 300_000, at: new Date(Date.parse(c12.startedAt) + 300_000).toISOString(), kind: 'verification', label: 'verification starts' },
      { t: 330_000, at: new Date(Date.parse(c12.startedAt) + 330_000).toISOString(), kind: 'approval', label: 'limit approval: approved, cap $0.50 → $1.50' },
      { t: 365_000, at: new Date(Date.parse(c12.startedAt) + 365_000).toISOString(), kind: 'stop', label: 'hard stop at the spending cap' },
    ]);
    expect(c12.spanMs).toBe(390_000);
  });

  it('spends by model, phase and repository as the ledger report does', () => {
    expect(data.byPhase.map((p) => p.label)).toEqual(['implementation', 'verification']);
    expect(data.byPhase.reduce((s, p) => s + p.usd, 0)).toBeCloseTo(4.59, 9);
    expect(data.byModel.map((m) => m.label)).toEqual(['claude-sonnet-4-5', 'claude-opus-4-5', 'claude-haiku-4-5']);
    expect(data.byRepo.map((r) => r.label)).toContain('/work/<b>x</b> & "co"');
  });
});

describe('causeOf', () => {
  const run = { hardStop: null, breachCause: null, budgetUsd: 0.5, spentNano: 750_000_000 } as Parameters<typeof causeOf>[0];
  it('takes the stored cause, else works it out from the row of a run that never finished', () => {
    expect(causeOf({ ...run, breachCause: 'escalation' })).toBe('escalation');
    expect(causeOf({ ...run, hardStop: { reason: 'idle', at: '' } })).toBe('idle');
    expect(causeOf({ ...run, hardStop: { reason: 'loop', at: '' } })).toBe('retry-loop');
    expect(causeOf(run)).toBe('cap-below-typical');
  });
});

describe('runCurve', () => {
  it('is flat and empty for a run with no requests', () => {
    const curve = runCurve({
      startedAt: '2026-03-01T00:00:00.000Z',
      endedAt: '2026-03-01T00:00:10.000Z',
      hardStop: null,
      budgetUsd: 1,
      requests: [],
      record: { approvals: [], hardStop: null },
    } as unknown as Parameters<typeof runCurve>[0]);
    expect(curve).toMatchObject({ points: [], marks: [], totalUsd: 0, spanMs: 10_000 });
  });
});
