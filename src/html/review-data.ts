// The page draws its charts in dollars (float geometry); the report's nano-dollars become dollars here.
import { nanoToUsd } from '../budget/money.js';
import { causeOfRow, type BreachCause } from '../ledger/breach-cause.js';
import type { RunDetail, RunSummary } from '../ledger/ledger.js';
import { dayKey, type Report } from '../ledger/report.js';
import { recipeFor } from '../supervisor/agent-recipes.js';
import { runCurve, type Curve } from './curve-data.js';

/** What the review page is drawn from: all of it read through the `Ledger` interface. */
export interface ReviewSource {
  /** `ledger.report` for the window, and for the window before it (same length). */
  report: Report;
  previous: Report;
  /** Runs started in the window or the one before it (`listRuns` from the previous window's start). */
  runs: readonly RunSummary[];
  /** The window's most expensive runs with their requests, costliest first. */
  top: readonly RunDetail[];
  timeZone: string;
}

export interface ReviewDay {
  day: string;
  usd: number;
  /** The same day of the previous window (by position), for the faded bars. */
  previousDay: string | null;
  previousUsd: number | null;
  runs: number;
  breaches: number;
  /** breaches / runs of runs started that day; null without runs. */
  breachRate: number | null;
}

export interface ReviewCause {
  cause: string;
  runs: number;
  previousRuns: number;
  /** Breaches with this cause per day of the window (the trend), aligned with `days`. */
  perDay: number[];
}

export interface ReviewTopRun {
  id: string;
  repo: string;
  agent: string;
  model: string;
  command: string[];
  capUsd: number | null;
  spentUsd: number;
  exceededInitialBudget: boolean;
  curve: Curve;
}

export interface Slice {
  label: string;
  usd: number;
}

export interface ReviewData {
  since: string;
  now: string;
  timeZone: string;
  spentUsd: number;
  runs: number;
  breaches: number;
  breachRate: number | null;
  previous: { spentUsd: number; runs: number; breaches: number; breachRate: number | null };
  days: ReviewDay[];
  causes: ReviewCause[];
  top: ReviewTopRun[];
  byModel: Slice[];
  byPhase: Slice[];
  byRepo: Slice[];
}

/**
 * Why a run broke its initial budget: the cause stored when it finished, else worked out from its
 * row (a run killed before its record: its hard stop and spend; no history, no approvals).
 */
export function causeOf(run: RunSummary): BreachCause {
  // The summary row carries no approvals: an unfinished run's escalation is not seen here.
  return causeOfRow({ ...run, hardStopReason: run.hardStop?.reason ?? null, verifyUsd: null }, false);
}

/** The model a run spent most on (its record's `models`), or its policy's model, or `unknown`. */
export function mainModel(detail: RunDetail): string {
  const models = Object.entries(detail.record.models).sort(([a, x], [b, y]) => y.usd - x.usd || a.localeCompare(b));
  return models[0]?.[0] ?? detail.record.policy.model ?? 'unknown';
}

const rateOf = (breaches: number, runs: number): number | null => (runs === 0 ? null : Math.round((breaches / runs) * 10_000) / 10_000);

/** The data behind every chart of `capped report --html`. */
export function reviewData(src: ReviewSource): ReviewData {
  const { report, previous, timeZone } = src;
  const sinceMs = Date.parse(report.since);
  const nowMs = Date.parse(report.now);
  const current = src.runs.filter((r) => {
    const t = Date.parse(r.startedAt);
    return t >= sinceMs && t < nowMs;
  });
  const before = src.runs.filter((r) => {
    const t = Date.parse(r.startedAt);
    return t >= Date.parse(previous.since) && t < sinceMs;
  });
  const dayIndex = new Map(report.perDay.map((d, i) => [d.day, i]));
  const runsPerDay = report.perDay.map(() => 0);
  const breachesPerDay = report.perDay.map(() => 0);
  const causes = new Map<string, ReviewCause>();
  const causeEntry = (cause: string): ReviewCause => {
    let entry = causes.get(cause);
    if (!entry) causes.set(cause, (entry = { cause, runs: 0, previousRuns: 0, perDay: report.perDay.map(() => 0) }));
    return entry;
  };
  for (const r of current) {
    const i = dayIndex.get(dayKey(Date.parse(r.startedAt), timeZone));
    if (i !== undefined) runsPerDay[i]! += 1;
    if (!r.exceededInitialBudget) continue;
    const entry = causeEntry(causeOf(r));
    entry.runs += 1;
    if (i !== undefined) {
      breachesPerDay[i]! += 1;
      entry.perDay[i]! += 1;
    }
  }
  for (const r of before) if (r.exceededInitialBudget) causeEntry(causeOf(r)).previousRuns += 1;

  return {
    since: report.since,
    now: report.now,
    timeZone,
    spentUsd: nanoToUsd(report.spentNano),
    runs: report.runs,
    breaches: report.breaches,
    breachRate: report.breachRate,
    previous: { spentUsd: nanoToUsd(previous.spentNano), runs: previous.runs, breaches: previous.breaches, breachRate: previous.breachRate },
    days: report.perDay.map((d, i) => ({
      day: d.day,
      usd: nanoToUsd(d.nano),
      previousDay: previous.perDay[i]?.day ?? null,
      previousUsd: previous.perDay[i] === undefined ? null : nanoToUsd(previous.perDay[i].nano),
      runs: runsPerDay[i]!,
      breaches: breachesPerDay[i]!,
      breachRate: rateOf(breachesPerDay[i]!, runsPerDay[i]!),
    })),
    causes: [...causes.values()].sort((a, b) => b.runs - a.runs || b.previousRuns - a.previousRuns || a.cause.localeCompare(b.cause)),
    top: src.top.map((d) => ({
      id: d.id,
      repo: d.repo,
      agent: recipeFor(d.command).name,
      model: mainModel(d),
      command: d.command,
      capUsd: d.budgetUsd,
      spentUsd: nanoToUsd(d.spentNano),
      exceededInitialBudget: d.exceededInitialBudget,
      curve: runCurve(d),
    })),
    byModel: report.byModel.map((m) => ({ label: m.model, usd: nanoToUsd(m.nano) })),
    byPhase: report.byPhase.map((p) => ({ label: p.phase, usd: nanoToUsd(p.nano) })),
    byRepo: report.byRepo.map((r) => ({ label: r.repo, usd: nanoToUsd(r.nano) })),
  };
}
