import { describe, expect, it } from 'vitest';
import { computeReport } from '../../../src/ledger/report.js';
import { CHART_DAYS, formatReport } from '../../../src/ledger/report-format.js';
import { bar } from '../../../src/ledger/text.js';
import { INPUT, NOW } from './helpers/report-fixture.js';

const REPORT = computeReport(INPUT);

describe('formatReport', () => {
  it('prints the headline figures, a per-day chart and the breakdowns, aligned', () => {
    expect(formatReport(REPORT, { color: false, timeZone: 'UTC' })).toBe(
      [
        'capped report · last 7 days · 2026-03-01 00:00 → 2026-03-08 00:00',
        '',
        '  spent        $12.00 in 6 runs (previous 7 days: $2.00 in 3 runs)',
        '  breach rate  66.7%: 4 of 6 runs exceeded their initial budget · ▲ up 33.3 points from 33.3%',
        '  approvals    3 asked · 2 granted · 1 decided by policy',
        '  hard stops   2 usd · 1 tokens',
        '',
        'breaches by cause',
        '  cap-below-typical   2  ▲ previous 7 days: 1',
        '  escalation          1  ▲ previous 7 days: 0',
        '  verification-heavy  1  ▲ previous 7 days: 0',
        '',
        'spend per day',
        '  Sun 03-01  ██████████▉                     $2.00',
        '  Mon 03-02  ██████████████████████████████  $5.50',
        '  Tue 03-03  █▍                              $0.25',
        '  Wed 03-04                                  $0.00',
        '  Thu 03-05  █████▌                          $1.00',
        '  Fri 03-06  █▍                              $0.25',
        '  Sat 03-07  ████████████████▍               $3.00',
        '',
        'most expensive runs',
        "  1  $5.50  of $5.00  r2  2026-03-02 12:00  finished  hard stop: usd     cap-below-typical   /a  claude -p 'task r2'",
        "  2  $3.00  of $5.00  r6  2026-03-07 20:00  aborted   hard stop: usd     escalation          /a  claude -p 'task r6'",
        "  3  $2.00  of $5.00  r1  2026-03-01 10:00  finished                                         /a  claude -p 'task r1'",
        "  4  $1.25  of $5.00  r4  2026-03-05 23:30  finished  hard stop: tokens  cap-below-typical   /b  claude -p 'task r4'",
        "  5  $0.25  of $5.00  r3  2026-03-03 09:00  finished  exceeded           verification-heavy  /b  claude -p 'task r3'",
        '',
        'by model',
        '  sonnet  $5.75  47.9%  4 requests',
        '  opus    $5.50  45.8%  2 requests',
        '  haiku   $0.75   6.3%  2 requests',
        '',
        'by phase',
        '  implementation  $9.25  77.1%',
        '  verification    $2.75  22.9%',
        '',
        'by repo',
        '  /a  $10.50  87.5%  3 runs',
        '  /b   $1.50  12.5%  2 runs',
        '  /c   $0.00   0.0%   1 run',
        '',
      ].join('\n'),
    );
  });

  it('uses no escape codes unless asked, and then only bold headings', () => {
    expect(formatReport(REPORT, { color: false, timeZone: 'UTC' })).not.toContain('\x1b');
    const colored = formatReport(REPORT, { color: true, timeZone: 'UTC' });
    expect(colored).toContain('\x1b[1mspend per day\x1b[22m');
    expect(colored.replaceAll('\x1b[1m', '').replaceAll('\x1b[22m', '')).toBe(formatReport(REPORT, { color: false, timeZone: 'UTC' }));
  });

  it('says how the trend moved, or that there is nothing to compare', () => {
    const line = (r: typeof REPORT): string => formatReport(r, { color: false, timeZone: 'UTC' }).split('\n')[3]!;
    expect(line({ ...REPORT, breachRateChange: -0.1, previous: { ...REPORT.previous, breachRate: 0.7667 } })).toContain('▼ down 10.0 points from 76.7%');
    expect(line({ ...REPORT, breachRateChange: 0, previous: { ...REPORT.previous, breachRate: 0.6667 } })).toContain('same as the previous 7 days');
    expect(line({ ...REPORT, breachRateChange: null, previous: { ...REPORT.previous, breachRate: null, runs: 0 } })).toContain(
      'no runs in the previous 7 days to compare',
    );
  });

  it('says so when the period has no runs', () => {
    const empty = computeReport({ since: new Date(NOW.getTime() - 86_400_000), now: NOW, runs: [], requests: [], approvals: [] });
    expect(formatReport(empty, { color: false, timeZone: 'UTC' })).toBe(
      'capped report · last 1 day · 2026-03-07 00:00 → 2026-03-08 00:00\n\n  No runs in the last 1 day.\n',
    );
  });

  it('charts 7 rows for the last 7 days when the period starts mid-day, naming spend on the day left out', () => {
    // 7 days back from noon covers 8 calendar days: the chart keeps the 7 newest
    const now = new Date('2026-03-08T12:00:00.000Z');
    const since = new Date(now.getTime() - 7 * 86_400_000);
    const report = computeReport({ ...INPUT, since, now });
    expect(report.perDay).toHaveLength(8);
    const text = formatReport(report, { color: false, timeZone: 'UTC' });
    const chart = text.split('spend per day')[1]!.split('\n\n')[0]!.split('\n');
    expect(chart[0]).toBe(''); // no note: nothing was spent on the morning of 03-01 before noon
    expect(chart.slice(1).map((row) => row.trim().slice(0, 9))).toEqual([
      'Mon 03-02',
      'Tue 03-03',
      'Wed 03-04',
      'Thu 03-05',
      'Fri 03-06',
      'Sat 03-07',
      'Sun 03-08',
    ]);

    // p3 starts at 23:59:59 on 02-28, inside a period from 23:00 that day: its spend is named, not charted
    const lateRequest = { runId: 'p3', at: '2026-02-28T23:59:59.500Z', model: 'haiku', phase: 'implementation', costNano: 500_000_000 };
    const early = computeReport({
      ...INPUT,
      requests: [...INPUT.requests, lateRequest],
      since: new Date('2026-02-28T23:00:00.000Z'),
      now: new Date('2026-03-07T23:00:00.000Z'),
    });
    const earlyChart = formatReport(early, { color: false, timeZone: 'UTC' }).split('spend per day')[1]!.split('\n\n')[0]!.split('\n');
    expect(earlyChart[0]).toBe(' ($0.50 earlier in the period)');
    expect(earlyChart).toHaveLength(8);
    expect(earlyChart[1]!.trim().slice(0, 9)).toBe('Sun 03-01');
  });

  it('says so under a section with nothing in it instead of a bare heading', () => {
    const runs = INPUT.runs.map((r) => ({ ...r, spentNano: 0 }));
    const text = formatReport(computeReport({ ...INPUT, runs, requests: [] }), { color: false, timeZone: 'UTC' });
    expect(text).toContain('\nmost expensive runs\n  no runs with spend yet\n\nby model\n  no priced requests yet\n\nby phase\n');
  });

  it(`charts at most the last ${CHART_DAYS} days`, () => {
    const since = new Date(NOW.getTime() - 90 * 86_400_000);
    const text = formatReport(computeReport({ ...INPUT, since }), { color: false, timeZone: 'UTC' });
    const chart = text.split('spend per day')[1]!.split('\n\n')[0]!;
    expect(chart.split('\n')[0]).toBe(` (last ${CHART_DAYS} days)`);
    expect(chart.trim().split('\n')).toHaveLength(CHART_DAYS + 1);
    expect(chart).toContain('Sat 03-07');
    expect(text).toContain('capped report · last 90 days');
  });
});

describe('bar', () => {
  it('fills eighths of a cell, never less than a sliver for a non-zero value', () => {
    expect(bar(10, 10, 4)).toBe('████');
    expect(bar(5, 10, 4)).toBe('██');
    expect(bar(1, 10, 4)).toBe('▍'); // 3.2 eighths → 3
    expect(bar(0.001, 10, 4)).toBe('▏');
    expect(bar(0, 10, 4)).toBe('');
    expect(bar(3, 0, 4)).toBe('');
    expect(bar(20, 10, 4)).toBe('████');
  });
});
