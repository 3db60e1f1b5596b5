import { describe, expect, it } from 'vitest';
import type { RunDetail, RunSummary } from '../../../src/ledger/ledger.js';
import { rebuildRecord } from '../../../src/ledger/rebuild-record.js';
import { formatRunDetail, formatRunList } from '../../../src/ledger/runs-format.js';
import { at, finishedRecord, request, runStart } from '../../helpers/ledger-rows.js';

const start = runStart('20260302-090000-abc123');
const SUMMARY: RunSummary = {
  id: start.id,
  command: [...start.command],
  cwd: start.cwd,
  repo: start.repo,
  host: start.host,
  pid: start.pid,
  startedAt: start.startedAt,
  endedAt: null,
  status: 'running',
  spentNano: 12_300_000,
  budgetUsd: 1.5,
  requestCount: 3,
  exceededInitialBudget: false,
  hardStop: null,
  breachCause: null,
};
const OPTS = { color: false, timeZone: 'UTC' };
const requests = [0, 1, 2].map((i) => {
  const { runId: _, ...rest } = request(start.id, i, i === 1 ? { estimated: true, retry: true } : {});
  return rest;
});

describe('formatRunList', () => {
  it('prints one aligned line per run and a total', () => {
    const runs: RunSummary[] = [
      SUMMARY,
      {
        ...SUMMARY,
        id: '20260302-080000-def456',
        status: 'aborted',
        spentNano: 2_500_000_000,
        budgetUsd: null,
        exceededInitialBudget: true,
        hardStop: { reason: 'usd', at: at(5) },
      },
      {
        ...SUMMARY,
        id: '20260301-080000-0a0b0c',
        status: 'finished',
        startedAt: at(-86_400),
        spentNano: 500_000_000,
        exceededInitialBudget: true,
        command: ['aider'],
      },
    ];
    expect(formatRunList(runs, new Date('2026-02-23T09:00:00Z'), OPTS)).toBe(
      [
        'STARTED           RUN                     STATUS      SPENT  BUDGET  REQUESTS  NOTE             REPO       COMMAND',
        "2026-03-02 09:00  20260302-090000-abc123  running   $0.0123   $1.50         3                   /work/app  claude --print 'fix the tests'",
        "2026-03-02 09:00  20260302-080000-def456  aborted     $2.50    none         3  hard stop: usd   /work/app  claude --print 'fix the tests'",
        '2026-03-01 09:00  20260301-080000-0a0b0c  finished    $0.50   $1.50         3  exceeded budget  /work/app  aider',
        '',
        '3 runs since 2026-02-23 09:00 · $3.0123 spent · 2 exceeded their initial budget',
        '',
      ].join('\n'),
    );
  });

  it('prints budgets like money: cents, thousands separators, no padding zeros', () => {
    const budgets = [1, 999_999, 0.001, 0.0125, 2.5].map((budgetUsd, i) => ({ ...SUMMARY, id: `run-${i}`, budgetUsd }));
    const column = formatRunList(budgets, new Date('2026-02-23T09:00:00Z'), OPTS)
      .split('\n')
      .slice(1, 6)
      .map((line) => line.split(/\s+/)[5]);
    expect(column).toEqual(['$1.00', '$999,999.00', '$0.001', '$0.0125', '$2.50']);
  });

  it('says when there is nothing to list, and where it looked', () => {
    expect(formatRunList([], new Date('2026-02-23T09:00:00Z'), OPTS)).toBe('No runs since 2026-02-23 09:00.\n');
    expect(formatRunList([], new Date('2026-02-23T09:00:00Z'), { ...OPTS, repo: '/work/app' })).toBe('No runs in /work/app since 2026-02-23 09:00.\n');
  });

  it('bolds the header only on a terminal', () => {
    expect(formatRunList([SUMMARY], new Date(0), OPTS)).not.toContain('\x1b');
    const colored = formatRunList([SUMMARY], new Date(0), { ...OPTS, color: true });
    expect(colored.startsWith('\x1b[1mSTARTED ')).toBe(true);
    expect(colored.split('\n')[0]!.endsWith('COMMAND\x1b[22m')).toBe(true);
  });
});

describe('formatRunDetail', () => {
  it('shows a finished run, its requests and approvals', () => {
    const record = finishedRecord(start, {
      approvals: [{ kind: 'limit', at: at(2), answer: 'approved', from: 1.5, to: 3 }],
      hardStop: { reason: 'usd', at: at(4) },
      exceededInitialBudget: true,
      breachCause: 'cap-below-typical',
      estimated: true,
      exitCode: 3,
    });
    const detail: RunDetail = { ...SUMMARY, status: 'finished', endedAt: record.endedAt, record, requests };
    expect(formatRunDetail(detail, OPTS)).toBe(
      [
        'run 20260302-090000-abc123 · finished',
        "  command    claude --print 'fix the tests'",
        '  repo       /work/app',
        '  cwd        /work/app/src',
        '  host       test-host (pid 4242)',
        '  started    2026-03-02 09:00:00',
        '  ended      2026-03-02 09:05:00 (5m 00s)',
        '  spent      $0.006000 of $1.50 (0.4%) · 3 requests · 3,863 tokens · includes estimates',
        '  tokens     in 303 · out 60 · cache read 3,000 · cache write 500',
        '  phases     implementation $0.006000 · verification $0.00',
        '  hard stop  usd cap at 2026-03-02 09:00:04',
        '  envelope   exceeded its initial budget (cause: cap-below-typical)',
        '  exit code  3',
        '',
        'requests',
        '  #  TIME      MODEL              PHASE            IN  OUT  CACHE R/W       COST',
        '  1  09:00:01  claude-sonnet-4-5  implementation  100   20  1,000/500  $0.001000',
        '  2  09:00:02  claude-sonnet-4-5  implementation  101   20    1,000/0  $0.002000  estimated, retry',
        '  3  09:00:03  claude-haiku-4-5   implementation  102   20    1,000/0  $0.003000',
        '',
        'approvals',
        '  09:00:02  limit  approved  $1.50 → $3.00',
        '',
      ].join('\n'),
    );
  });

  it('says an aborted run was rebuilt, when it was last seen, and that its exit code is unknown', () => {
    const record = rebuildRecord(
      {
        id: start.id,
        command: [...start.command],
        cwd: start.repo,
        startedAt: start.startedAt,
        lastAt: at(3),
        budget: start.budget,
        policy: start.policy,
        hardStop: null,
      },
      requests,
      [],
    );
    const text = formatRunDetail({ ...SUMMARY, cwd: start.repo, status: 'aborted', endedAt: at(3), record, requests }, OPTS);
    expect(text).toContain('run 20260302-090000-abc123 · aborted\n');
    expect(text).toContain('  last seen  2026-03-02 09:00:03 (3s)\n');
    expect(text).toContain('  exit code  unknown (capped did not finish the run)\n');
    expect(text).toContain('the figures are rebuilt\n  from the 3 requests it recorded.\n');
    expect(text).not.toContain('  cwd ');
    expect(text).not.toContain('approvals');
  });

  it('says a running run is still running', () => {
    const record = rebuildRecord(
      {
        id: start.id,
        command: [...start.command],
        cwd: start.cwd,
        startedAt: start.startedAt,
        lastAt: at(0),
        budget: start.budget,
        policy: start.policy,
        hardStop: null,
      },
      [],
      [],
    );
    const text = formatRunDetail({ ...SUMMARY, record, requests: [] }, OPTS);
    expect(text).toContain('  ended      still running\n');
    expect(text).not.toContain('requests\n');
  });
});
