import type { ReportApproval, ReportInput, ReportRequest, ReportRun } from '../../../../src/ledger/report.js';

/**
 * A week of runs whose figures were worked out by hand (see report.test.ts). The period is
 * 2026-03-01T00:00Z to 2026-03-08T00:00Z; the previous one starts 2026-02-22T00:00Z.
 */
export const SINCE = new Date('2026-03-01T00:00:00.000Z');
export const NOW = new Date('2026-03-08T00:00:00.000Z');

const USD = 1_000_000_000;

function run(
  id: string,
  startedAt: string,
  repo: string,
  spent: number,
  exceeded: boolean,
  hardStop: string | null = null,
  cause: string | null = null,
): ReportRun {
  return {
    id,
    command: ['claude', '-p', `task ${id}`],
    repo,
    startedAt,
    status: id === 'r6' ? 'aborted' : 'finished',
    spentNano: Math.round(spent * USD),
    budgetUsd: 5,
    exceededInitialBudget: exceeded,
    hardStopReason: hardStop,
    breachCause: cause,
  };
}

export const RUNS: ReportRun[] = [
  run('r1', '2026-03-01T10:00:00.000Z', '/a', 2, false),
  run('r2', '2026-03-02T12:00:00.000Z', '/a', 5.5, true, 'usd'),
  // its cause was stored when it finished; the others' are worked out from their rows
  run('r3', '2026-03-03T09:00:00.000Z', '/b', 0.25, true, null, 'verification-heavy'),
  run('r4', '2026-03-05T23:30:00.000Z', '/b', 1.25, true, 'tokens'),
  run('r5', '2026-03-07T08:00:00.000Z', '/c', 0, false),
  run('r6', '2026-03-07T20:00:00.000Z', '/a', 3, true, 'usd'),
  // the previous period: 3 runs, 1 breach, $2.00
  run('p1', '2026-02-22T00:00:00.000Z', '/a', 1, true, 'usd'),
  run('p2', '2026-02-25T12:00:00.000Z', '/b', 0.5, false),
  run('p3', '2026-02-28T23:59:59.000Z', '/a', 0.5, false),
  // in neither: before the previous period, and at `now` (the end is excluded)
  run('x1', '2026-02-21T23:59:00.000Z', '/a', 9, true, 'usd'),
  run('x2', '2026-03-08T00:00:00.000Z', '/a', 9, true, 'usd'),
];

function q(runId: string, at: string, model: string, phase: string, usd: number): ReportRequest {
  return { runId, at, model, phase, costNano: Math.round(usd * USD) };
}

export const REQUESTS: ReportRequest[] = [
  q('r1', '2026-03-01T10:05:00.000Z', 'sonnet', 'implementation', 1.5),
  q('r1', '2026-03-01T10:10:00.000Z', 'haiku', 'implementation', 0.5),
  q('r2', '2026-03-02T12:05:00.000Z', 'sonnet', 'implementation', 3),
  q('r2', '2026-03-02T12:30:00.000Z', 'opus', 'verification', 2.5),
  q('r3', '2026-03-03T09:01:00.000Z', 'haiku', 'implementation', 0.25),
  q('r4', '2026-03-05T23:40:00.000Z', 'sonnet', 'implementation', 1),
  q('r4', '2026-03-06T00:10:00.000Z', 'sonnet', 'verification', 0.25),
  q('r6', '2026-03-07T20:10:00.000Z', 'opus', 'implementation', 3),
  // not this period's runs: ignored
  q('p1', '2026-02-22T00:05:00.000Z', 'sonnet', 'implementation', 1),
  q('x2', '2026-03-08T00:05:00.000Z', 'sonnet', 'implementation', 9),
];

export const APPROVALS: ReportApproval[] = [
  { runId: 'r2', kind: 'limit', answer: 'approved' },
  { runId: 'r3', kind: 'limit', answer: 'denied' },
  { runId: 'r4', kind: 'downgrade', answer: 'automatic' },
  { runId: 'r6', kind: 'escalation', answer: 'approved' },
  { runId: 'p1', kind: 'limit', answer: 'approved' },
];

export const INPUT: ReportInput = { since: SINCE, now: NOW, timeZone: 'UTC', runs: RUNS, requests: REQUESTS, approvals: APPROVALS };
