import { spanText } from './duration.js';
import type { Report } from './report.js';
import type { Nano } from '../budget/money.js';
import { formatBudget, formatPercent, formatUsd } from '../model/format.js';
import { bar, commandLine, heading, plural, stamp, table, truncate } from './text.js';

export interface FormatOptions {
  /** Bold headings (a terminal without NO_COLOR). Never any escape code when false. */
  color: boolean;
  /** Time zone for times shown; the local one when absent. */
  timeZone?: string;
}

/** Width of the longest bar in the per-day chart, in terminal cells. */
export const CHART_WIDTH = 30;
/** The chart shows at most this many days (the newest); `--json` has them all. */
export const CHART_DAYS = 31;

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function trend(report: Report, span: string): string {
  const before = report.previous;
  if (before.breachRate === null || report.breachRateChange === null) return `no runs in the previous ${span} to compare`;
  const points = (Math.abs(report.breachRateChange) * 100).toFixed(1);
  if (report.breachRateChange > 0) return `▲ up ${points} points from ${formatPercent(before.breachRate, 'tenths')}`;
  if (report.breachRateChange < 0) return `▼ down ${points} points from ${formatPercent(before.breachRate, 'tenths')}`;
  return `same as the previous ${span}`;
}

function share(nano: Nano, total: Nano): string {
  return total > 0 ? formatPercent(nano / total, 'tenths') : '';
}

const DAY_MS = 86_400_000;

/**
 * The per-day chart: one row per day the span covers back from today (`7d` is 7 rows, not the 8
 * calendar days a span starting mid-day touches), at most CHART_DAYS. Spend on the days left out
 * is named under the heading, so the rows and the total still agree.
 */
function chart(report: Report, spanMs: number): string {
  const shown = Math.min(CHART_DAYS, Math.max(1, Math.ceil(spanMs / DAY_MS)));
  const days = report.perDay.slice(-shown);
  const earlier = report.perDay.slice(0, report.perDay.length - days.length).reduce((sum, d) => sum + d.nano, 0);
  const max = Math.max(0, ...days.map((d) => d.nano));
  const rows = days.map((d) => {
    const weekday = WEEKDAYS[new Date(`${d.day}T00:00:00Z`).getUTCDay()]!;
    return [`${weekday} ${d.day.slice(5)}`, bar(d.nano, max, CHART_WIDTH).padEnd(CHART_WIDTH), formatUsd(d.nano)];
  });
  const notes = [
    ...(shown === CHART_DAYS && report.perDay.length > shown ? [`last ${CHART_DAYS} days`] : []),
    ...(earlier > 0 ? [`${formatUsd(earlier)} earlier in the period`] : []),
  ];
  return `${notes.length > 0 ? ` (${notes.join('; ')})` : ''}\n${table(rows, 'llr')}`;
}

/** Breaches by primary cause, each with the previous period's count and which way it moved. */
function causesSection(report: Report, span: string): string {
  const rows = report.causes.map((c) => {
    const move = c.runs > c.previous ? '▲' : c.runs < c.previous ? '▼' : '=';
    return [c.cause, String(c.runs), `${move} previous ${span}: ${c.previous}`];
  });
  return section(rows, 'lrl', report.breaches === 0 ? 'no breaches in this period' : 'no causes recorded');
}

/** A section's rows, or a line saying there is nothing in it yet (not a bare heading). */
function section(rows: string[][], align: string, empty: string): string {
  return rows.length === 0 ? `  ${empty}\n` : table(rows, align);
}

/** `capped report` as text: the headline figures, the per-day chart, and the breakdowns. */
export function formatReport(report: Report, opts: FormatOptions): string {
  const tz = opts.timeZone;
  const span = spanText(Date.parse(report.now) - Date.parse(report.since));
  const h = (text: string): string => heading(text, opts.color);
  let out = `${h(`capped report · last ${span}`)} · ${stamp(report.since, tz)} → ${stamp(report.now, tz)}\n\n`;
  if (report.runs === 0) {
    const before =
      report.previous.runs > 0 ? ` (the previous ${span} had ${plural(report.previous.runs, 'run')}, ${formatUsd(report.previous.spentNano)})` : '';
    return `${out}  No runs in the last ${span}${before}.\n`;
  }
  const approvals = report.approvals;
  out += table(
    [
      [
        'spent',
        `${formatUsd(report.spentNano)} in ${plural(report.runs, 'run')} (previous ${span}: ` +
          `${formatUsd(report.previous.spentNano)} in ${plural(report.previous.runs, 'run')})`,
      ],
      [
        'breach rate',
        `${formatPercent(report.breachRate ?? 0, 'tenths')}: ${report.breaches} of ` +
          `${plural(report.runs, 'run')} exceeded their initial budget · ${trend(report, span)}`,
      ],
      ['approvals', `${approvals.asked} asked · ${approvals.granted} granted${approvals.automatic > 0 ? ` · ${approvals.automatic} decided by policy` : ''}`],
      ['hard stops', report.hardStops.length === 0 ? 'none' : report.hardStops.map((s) => `${s.runs} ${s.reason}`).join(' · ')],
    ],
    'll',
  );

  out += `\n${h('breaches by cause')}\n${causesSection(report, span)}`;
  out += `\n${h('spend per day')}${chart(report, Date.parse(report.now) - Date.parse(report.since))}`;

  out += `\n${h('most expensive runs')}\n`;
  out += section(
    report.topRuns.map((r, i) => [
      String(i + 1),
      formatUsd(r.spentNano),
      r.budgetNano === null ? '' : `of ${formatBudget(r.budgetNano)}`,
      r.id,
      stamp(r.startedAt, tz),
      r.status,
      r.hardStop ? `hard stop: ${r.hardStop}` : r.exceededInitialBudget ? 'exceeded' : '',
      r.breachCause ?? '',
      r.repo,
      truncate(commandLine(r.command), 40),
    ]),
    'rrl',
    'no runs with spend yet',
  );

  out += `\n${h('by model')}\n`;
  out += section(
    report.byModel.map((m) => [m.model, formatUsd(m.nano), share(m.nano, report.spentNano), plural(m.requests, 'request')]),
    'lrrr',
    'no priced requests yet',
  );
  out += `\n${h('by phase')}\n`;
  out += table(
    report.byPhase.map((p) => [p.phase, formatUsd(p.nano), share(p.nano, report.spentNano)]),
    'lrr',
  );
  out += `\n${h('by repo')}\n`;
  out += table(
    report.byRepo.map((r) => [r.repo, formatUsd(r.nano), share(r.nano, report.spentNano), plural(r.runs, 'run')]),
    'lrrr',
  );
  return out;
}
