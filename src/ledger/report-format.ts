import { spanText } from './duration.js';
import type { Report } from './report.js';
import { bar, commandLine, heading, money, percent, plural, stamp, table, truncate } from './text.js';

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
  if (report.breachRateChange > 0) return `▲ up ${points} points from ${percent(before.breachRate)}`;
  if (report.breachRateChange < 0) return `▼ down ${points} points from ${percent(before.breachRate)}`;
  return `same as the previous ${span}`;
}

function share(usd: number, total: number): string {
  return total > 0 ? percent(usd / total) : '';
}

function chart(report: Report): string {
  const days = report.perDay.slice(-CHART_DAYS);
  const max = Math.max(0, ...days.map((d) => d.usd));
  const rows = days.map((d) => {
    const weekday = WEEKDAYS[new Date(`${d.day}T00:00:00Z`).getUTCDay()]!;
    return [`${weekday} ${d.day.slice(5)}`, bar(d.usd, max, CHART_WIDTH).padEnd(CHART_WIDTH), money(d.usd)];
  });
  const note = report.perDay.length > days.length ? ` (last ${CHART_DAYS} days)` : '';
  return `${note}\n${table(rows, 'llr')}`;
}

/** `capped report` as text: the headline figures, the per-day chart, and the breakdowns. */
export function formatReport(report: Report, opts: FormatOptions): string {
  const tz = opts.timeZone;
  const span = spanText(Date.parse(report.now) - Date.parse(report.since));
  const h = (text: string): string => heading(text, opts.color);
  let out = `${h(`capped report · last ${span}`)} · ${stamp(report.since, tz)} → ${stamp(report.now, tz)}\n\n`;
  if (report.runs === 0) {
    const before = report.previous.runs > 0 ? ` (the previous ${span} had ${plural(report.previous.runs, 'run')}, ${money(report.previous.spentUsd)})` : '';
    return `${out}  No runs in the last ${span}${before}.\n`;
  }
  const approvals = report.approvals;
  out += table(
    [
      ['spent', `${money(report.spentUsd)} in ${plural(report.runs, 'run')} (previous ${span}: ${money(report.previous.spentUsd)} in ${plural(report.previous.runs, 'run')})`],
      [
        'breach rate',
        `${percent(report.breachRate ?? 0)}: ${report.breaches} of ${plural(report.runs, 'run')} exceeded their initial budget · ${trend(report, span)}`,
      ],
      ['approvals', `${approvals.asked} asked · ${approvals.granted} granted${approvals.automatic > 0 ? ` · ${approvals.automatic} decided by policy` : ''}`],
      ['hard stops', report.hardStops.length === 0 ? 'none' : report.hardStops.map((s) => `${s.runs} ${s.reason}`).join(' · ')],
    ],
    'll',
  );

  out += `\n${h('spend per day')}${chart(report)}`;

  out += `\n${h('most expensive runs')}\n`;
  out += table(
    report.topRuns.map((r, i) => [
      String(i + 1),
      money(r.spentUsd),
      r.budgetUsd === null ? '' : `of ${money(r.budgetUsd)}`,
      r.id,
      stamp(r.startedAt, tz),
      r.status,
      r.hardStop ? `hard stop: ${r.hardStop}` : r.exceededInitialBudget ? 'exceeded' : '',
      r.repo,
      truncate(commandLine(r.command), 40),
    ]),
    'rrl',
  );

  out += `\n${h('by model')}\n`;
  out += table(
    report.byModel.map((m) => [m.model, money(m.usd), share(m.usd, report.spentUsd), plural(m.requests, 'request')]),
    'lrrr',
  );
  out += `\n${h('by phase')}\n`;
  out += table(
    report.byPhase.map((p) => [p.phase, money(p.usd), share(p.usd, report.spentUsd)]),
    'lrr',
  );
  out += `\n${h('by repo')}\n`;
  out += table(
    report.byRepo.map((r) => [r.repo, money(r.usd), share(r.usd, report.spentUsd), plural(r.runs, 'run')]),
    'lrrr',
  );
  return out;
}
