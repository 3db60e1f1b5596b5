import { describe, expect, it } from 'vitest';
import { formatBudget, formatUsd } from '../../../src/model/format.js';
import { computeReport, type ReportRun } from '../../../src/ledger/report.js';
import { formatReport } from '../../../src/ledger/report-format.js';
import { githubReportSummary } from '../../../src/ledger/github-summary.js';
import { reportJson } from '../../../src/ledger/report-json.js';
import { NOW, SINCE } from './helpers/report-fixture.js';

// Money reaches the report text as the ledger's integer nano-dollars and is formatted once: the
// text shows exactly what the engine's formatter shows for the same nano, whatever float dollars
// would have made of it. Only `--json` holds dollars.

const run = (id: string, spentNano: number, budgetUsd: number | null): ReportRun => ({
  id,
  command: ['agent'],
  repo: '/r',
  startedAt: '2026-03-02T10:00:00.000Z',
  status: 'finished',
  spentNano,
  budgetUsd,
  exceededInitialBudget: false,
  hardStopReason: null,
  breachCause: null,
});

/** A report of one run whose requests cost `costs` (nano), made on the first day of the week. */
function reportOf(costs: number[], budgetUsd: number | null = null) {
  const spent = costs.reduce((a, b) => a + b, 0);
  const requests = costs.map((costNano, i) => ({ runId: 'a', at: '2026-03-01T10:00:00.000Z', model: `m${i}`, phase: 'implementation', costNano }));
  return computeReport({ since: SINCE, now: NOW, timeZone: 'UTC', runs: [run('a', spent, budgetUsd)], requests, approvals: [] });
}

describe('report money', () => {
  it('0.1 + 0.2 (as nano) is $0.30 in the text and 0.3 in the JSON, as the engine formats it', () => {
    const report = reportOf([100_000_000, 200_000_000]);
    expect(report.spentNano).toBe(300_000_000);
    const text = formatReport(report, { color: false, timeZone: 'UTC' });
    expect(text).toContain(`  spent        ${formatUsd(300_000_000)} in 1 run`);
    expect(formatUsd(300_000_000)).toBe('$0.30');
    expect(reportJson(report).spentUsd).toBe(0.3);
    expect(githubReportSummary(report, '7 days')).toContain(`Spent ${formatUsd(300_000_000)} in 1 run`);
  });

  it('sums and shows amounts a float round trip would move by a nano', () => {
    // 8999999.999999014 dollars: Math.round((n / 1e9) * 1e9) is n + 1 for this n.
    const n = 8_999_999_999_999_014;
    expect(Math.round((n / 1e9) * 1e9)).not.toBe(n);
    const report = reportOf([n - 1_000, 1_000]);
    expect(report.spentNano).toBe(n);
    expect(report.byModel.map((m) => m.nano)).toEqual([n - 1_000, 1_000]);
    expect(report.perDay[0]!.nano).toBe(n);
    expect(report.topRuns[0]!.spentNano).toBe(n);
    const text = formatReport(report, { color: false, timeZone: 'UTC' });
    expect(text).toContain(formatUsd(n));
    expect(text).toContain(formatUsd(1_000));
  });

  it("a run's budget from its stored dollars is formatted like the engine's cap", () => {
    const report = reportOf([999_999_999_999_999], 999_999.999999999);
    expect(report.topRuns[0]!.budgetNano).toBe(999_999_999_999_999);
    expect(formatReport(report, { color: false, timeZone: 'UTC' })).toContain(`of ${formatBudget(999_999_999_999_999)}`);
    expect(formatBudget(999_999_999_999_999)).toBe('$999,999.999999999');
    expect(reportJson(report).topRuns[0]).toMatchObject({ spentUsd: 999_999.999999999, budgetUsd: 999_999.999999999 });
  });
});
