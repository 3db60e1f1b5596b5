import { describe, expect, it } from 'vitest';
import { computeReport as computeFigures, dayKey, type ReportInput, type ReportRun } from '../../../src/ledger/report.js';
import { reportJson, type ReportJson } from '../../../src/ledger/report-json.js';
import { APPROVALS, INPUT, NOW, REQUESTS, RUNS, SINCE } from './helpers/report-fixture.js';

const top = (id: string, startedAt: string, repo: string, spentUsd: number, exceeded: boolean, hardStop: string | null, breachCause: string | null) => ({
  id,
  startedAt,
  repo,
  command: ['claude', '-p', `task ${id}`],
  status: id === 'r6' ? 'aborted' : 'finished',
  spentUsd,
  budgetUsd: 5,
  exceededInitialBudget: exceeded,
  hardStop,
  breachCause,
});

// Checked as `report --json` prints it (the contract): the figures are nano-dollars, the JSON dollars.
const computeReport = (input: ReportInput): ReportJson => reportJson(computeFigures(input));

describe('computeReport', () => {
  it('matches the figures worked out by hand', () => {
    expect(computeReport(INPUT)).toEqual({
      since: '2026-03-01T00:00:00.000Z',
      now: '2026-03-08T00:00:00.000Z',
      timeZone: 'UTC',
      // r1..r6: 2 + 5.5 + 0.25 + 1.25 + 0 + 3
      spentUsd: 12,
      runs: 6,
      // r2 (hard stop), r3 (asked), r4 (hard stop), r6 (hard stop): 4 of 6
      breaches: 4,
      breachRate: 0.6667,
      // p1..p3 (p1 on the boundary is in, x1 before it is not): 1 of 3
      previous: { since: '2026-02-22T00:00:00.000Z', spentUsd: 2, runs: 3, breaches: 1, breachRate: 0.3333 },
      breachRateChange: 0.3334,
      // r5 spent nothing and is not a session worth reviewing
      topRuns: [
        // no stored cause: a dollar stop with nothing else seen is the residual cap-below-typical
        top('r2', '2026-03-02T12:00:00.000Z', '/a', 5.5, true, 'usd', 'cap-below-typical'),
        // aborted after an approved escalation
        top('r6', '2026-03-07T20:00:00.000Z', '/a', 3, true, 'usd', 'escalation'),
        top('r1', '2026-03-01T10:00:00.000Z', '/a', 2, false, null, null),
        top('r4', '2026-03-05T23:30:00.000Z', '/b', 1.25, true, 'tokens', 'cap-below-typical'),
        top('r3', '2026-03-03T09:00:00.000Z', '/b', 0.25, true, null, 'verification-heavy'),
      ],
      // automatic (policy) decisions are not questions asked
      approvals: { asked: 3, granted: 2, automatic: 1 },
      hardStops: [
        { reason: 'usd', runs: 2 },
        { reason: 'tokens', runs: 1 },
      ],
      // 4 breaches now (r2, r4 | r6 | r3), 1 before (p1, a dollar stop): shares 2/4 - 1/1, 1/4 - 0, 1/4 - 0
      causes: [
        { cause: 'cap-below-typical', runs: 2, previous: 1, shareChange: -0.5 },
        { cause: 'escalation', runs: 1, previous: 0, shareChange: 0.25 },
        { cause: 'verification-heavy', runs: 1, previous: 0, shareChange: 0.25 },
      ],
      byModel: [
        { model: 'sonnet', usd: 5.75, requests: 4 },
        { model: 'opus', usd: 5.5, requests: 2 },
        { model: 'haiku', usd: 0.75, requests: 2 },
      ],
      byPhase: [
        { phase: 'implementation', usd: 9.25 },
        { phase: 'verification', usd: 2.75 },
      ],
      byRepo: [
        { repo: '/a', usd: 10.5, runs: 3 },
        { repo: '/b', usd: 1.5, runs: 2 },
        { repo: '/c', usd: 0, runs: 1 },
      ],
      perDay: [
        { day: '2026-03-01', usd: 2 },
        { day: '2026-03-02', usd: 5.5 },
        { day: '2026-03-03', usd: 0.25 },
        { day: '2026-03-04', usd: 0 },
        // r4's requests either side of midnight UTC
        { day: '2026-03-05', usd: 1 },
        { day: '2026-03-06', usd: 0.25 },
        { day: '2026-03-07', usd: 3 },
      ],
    });
  });

  it('counts days in the time zone it is given', () => {
    // New York is UTC-5 until 8 March 2026: the period starts on 28 February there
    expect(computeReport({ ...INPUT, timeZone: 'America/New_York' }).perDay).toEqual([
      { day: '2026-02-28', usd: 0 },
      { day: '2026-03-01', usd: 2 },
      { day: '2026-03-02', usd: 5.5 },
      { day: '2026-03-03', usd: 0.25 },
      { day: '2026-03-04', usd: 0 },
      { day: '2026-03-05', usd: 1.25 },
      { day: '2026-03-06', usd: 0 },
      { day: '2026-03-07', usd: 3 },
    ]);
  });

  it('has no rates and no trend without runs, and a day for every day', () => {
    const report = computeReport({ since: SINCE, now: NOW, runs: [], requests: [], approvals: [] });
    expect(report).toMatchObject({
      spentUsd: 0,
      runs: 0,
      breaches: 0,
      breachRate: null,
      previous: { runs: 0, breachRate: null },
      breachRateChange: null,
      topRuns: [],
      approvals: { asked: 0, granted: 0, automatic: 0 },
      hardStops: [],
      byModel: [],
      byPhase: [
        { phase: 'implementation', usd: 0 },
        { phase: 'verification', usd: 0 },
      ],
      byRepo: [],
    });
    expect(report.perDay).toHaveLength(7);
    expect(report.perDay.every((d) => d.usd === 0)).toBe(true);
  });

  it('has no trend when the previous period had no runs', () => {
    const report = computeReport({ ...INPUT, runs: RUNS.filter((r) => !r.id.startsWith('p')) });
    expect(report.breachRate).toBe(0.6667);
    expect(report.previous.breachRate).toBeNull();
    expect(report.breachRateChange).toBeNull();
  });

  it('keeps the 10 costliest runs, earlier first on a tie', () => {
    const runs: ReportRun[] = Array.from({ length: 12 }, (_, i) => ({
      ...RUNS[0]!,
      id: `t${String(i).padStart(2, '0')}`,
      startedAt: new Date(SINCE.getTime() + (12 - i) * 60_000).toISOString(),
      spentNano: i === 11 ? 2_000_000_000 : 1_000_000_000,
    }));
    const ids = computeReport({ since: SINCE, now: NOW, runs, requests: [], approvals: [] }).topRuns.map((r) => r.id);
    // t11 is the costliest; the rest tie at $1, so the earliest started (highest index) come first
    expect(ids).toEqual(['t11', 't10', 't09', 't08', 't07', 't06', 't05', 't04', 't03', 't02']);
  });

  it('counts money exactly in nano-dollars, however many small amounts', () => {
    const runs: ReportRun[] = [{ ...RUNS[0]!, spentNano: 0 }];
    const requests = Array.from({ length: 1000 }, () => ({ ...REQUESTS[0]!, costNano: 100_000 })); // $0.0001 each
    const report = computeReport({ since: SINCE, now: NOW, runs, requests, approvals: APPROVALS });
    expect(report.byModel).toEqual([{ model: 'sonnet', usd: 0.1, requests: 1000 }]);
    expect(report.perDay[0]).toEqual({ day: '2026-03-01', usd: 0.1 });
  });

  it('names days by the calendar of a time zone', () => {
    const t = Date.parse('2026-03-01T03:00:00.000Z');
    expect(dayKey(t, 'UTC')).toBe('2026-03-01');
    expect(dayKey(t, 'America/Los_Angeles')).toBe('2026-02-28');
    expect(dayKey(t, 'Asia/Tokyo')).toBe('2026-03-01');
  });
});
