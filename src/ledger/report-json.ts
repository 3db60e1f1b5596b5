import { nanoToUsd } from '../budget/money.js';
import type { BreachCause } from './breach-cause.js';
import type { CauseFigures, PeriodFigures, Report, TopRun } from './report.js';

// `capped report --json`, a contract (DESIGN.md): money in dollars under the field names it has
// always had. The one place the report's nano-dollars become dollars.

export interface PeriodJson extends Omit<PeriodFigures, 'spentNano'> {
  spentUsd: number;
}

export interface TopRunJson extends Omit<TopRun, 'spentNano' | 'budgetNano' | 'breachCause'> {
  spentUsd: number;
  budgetUsd: number | null;
  breachCause: BreachCause | null;
}

export interface ReportJson extends PeriodJson {
  now: string;
  timeZone: string;
  previous: PeriodJson;
  breachRateChange: number | null;
  topRuns: TopRunJson[];
  approvals: Report['approvals'];
  hardStops: Report['hardStops'];
  causes: CauseFigures[];
  byModel: { model: string; usd: number; requests: number }[];
  byPhase: { phase: string; usd: number }[];
  byRepo: { repo: string; usd: number; runs: number }[];
  perDay: { day: string; usd: number }[];
}

function periodJson(p: PeriodFigures): PeriodJson {
  return { since: p.since, spentUsd: nanoToUsd(p.spentNano), runs: p.runs, breaches: p.breaches, breachRate: p.breachRate };
}

function topRunJson(r: TopRun): TopRunJson {
  return {
    id: r.id,
    startedAt: r.startedAt,
    repo: r.repo,
    command: r.command,
    status: r.status,
    spentUsd: nanoToUsd(r.spentNano),
    budgetUsd: r.budgetNano === null ? null : nanoToUsd(r.budgetNano),
    exceededInitialBudget: r.exceededInitialBudget,
    hardStop: r.hardStop,
    breachCause: r.breachCause,
  };
}

/** The report as `--json` prints it, fields in the order they have always had. */
export function reportJson(report: Report): ReportJson {
  return {
    ...periodJson(report),
    now: report.now,
    timeZone: report.timeZone,
    previous: periodJson(report.previous),
    breachRateChange: report.breachRateChange,
    topRuns: report.topRuns.map(topRunJson),
    approvals: report.approvals,
    hardStops: report.hardStops,
    causes: report.causes,
    byModel: report.byModel.map((m) => ({ model: m.model, usd: nanoToUsd(m.nano), requests: m.requests })),
    byPhase: report.byPhase.map((p) => ({ phase: p.phase, usd: nanoToUsd(p.nano) })),
    byRepo: report.byRepo.map((r) => ({ repo: r.repo, usd: nanoToUsd(r.nano), runs: r.runs })),
    perDay: report.perDay.map((d) => ({ day: d.day, usd: nanoToUsd(d.nano) })),
  };
}
