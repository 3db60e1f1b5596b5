import { nanoToUsd, type Nano } from '../budget/money.js';
import type { RunStatus } from './run-status.js';

/** A run as the report reads it. */
export interface ReportRun {
  id: string;
  command: string[];
  repo: string;
  startedAt: string;
  status: RunStatus;
  spentNano: Nano;
  budgetUsd: number | null;
  exceededInitialBudget: boolean;
  hardStopReason: string | null;
}

export interface ReportRequest {
  runId: string;
  at: string;
  model: string;
  phase: string;
  costNano: Nano;
}

export interface ReportApproval {
  runId: string;
  kind: string;
  answer: string;
}

export interface ReportInput {
  since: Date;
  now: Date;
  /** IANA time zone days are counted in (default UTC). */
  timeZone?: string;
  /** Runs started in this period and in the one before it (same length), for the trend. */
  runs: readonly ReportRun[];
  /** Requests of this period's runs. */
  requests: readonly ReportRequest[];
  /** Approvals of this period's runs. */
  approvals: readonly ReportApproval[];
}

export interface TopRun {
  id: string;
  startedAt: string;
  repo: string;
  command: string[];
  status: RunStatus;
  spentUsd: number;
  budgetUsd: number | null;
  exceededInitialBudget: boolean;
  hardStop: string | null;
}

export interface PeriodFigures {
  since: string;
  spentUsd: number;
  runs: number;
  /** Runs that exceeded their initial envelope: asked for more, downgraded, or hard-stopped. */
  breaches: number;
  /** breaches / runs, to 4 decimals; null without runs. */
  breachRate: number | null;
}

/** The figures of `capped report`. Field names are stable (its `--json` output). */
export interface Report extends PeriodFigures {
  now: string;
  timeZone: string;
  previous: PeriodFigures;
  /** This period's breach rate minus the previous one's; null when either had no runs. */
  breachRateChange: number | null;
  /** The 10 most expensive runs of the period, costliest first. */
  topRuns: TopRun[];
  /** Questions put to a person, and how many were approved; `automatic` ones were decided by policy. */
  approvals: { asked: number; granted: number; automatic: number };
  hardStops: { reason: string; runs: number }[];
  byModel: { model: string; usd: number; requests: number }[];
  byPhase: { phase: string; usd: number }[];
  byRepo: { repo: string; usd: number; runs: number }[];
  /** Every calendar day of the period, oldest first, with the spend of requests made that day. */
  perDay: { day: string; usd: number }[];
}

export const TOP_RUNS = 10;
const PHASES = ['implementation', 'verification'];
const DAY_MS = 86_400_000;

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

function rate(breaches: number, runs: number): number | null {
  return runs === 0 ? null : round4(breaches / runs);
}

function period(runs: readonly ReportRun[], since: Date): PeriodFigures {
  const breaches = runs.filter((r) => r.exceededInitialBudget).length;
  return {
    since: since.toISOString(),
    spentUsd: nanoToUsd(runs.reduce((sum, r) => sum + r.spentNano, 0)),
    runs: runs.length,
    breaches,
    breachRate: rate(breaches, runs.length),
  };
}

function add<K>(map: Map<K, Nano>, key: K, nano: Nano): void {
  map.set(key, (map.get(key) ?? 0) + nano);
}

const byAmountThenName = <T extends { usd: number }>(name: (t: T) => string) => (a: T, b: T) =>
  b.usd - a.usd || name(a).localeCompare(name(b));

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayKey(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(ms);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Every day key from `first` to `last`, both included. */
function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${first}T00:00:00Z`), end = Date.parse(`${last}T00:00:00Z`); ms <= end; ms += DAY_MS) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * Computes the report from ledger rows. A run belongs to the period it started in. Totals, the top
 * runs and spend by repo come from each run's spend (its record once finished); spend by model,
 * phase and day from its recorded requests, which add up to the same when every settled request
 * was recorded.
 */
export function computeReport(input: ReportInput): Report {
  const { since, now } = input;
  const timeZone = input.timeZone ?? 'UTC';
  const sinceMs = since.getTime();
  const nowMs = now.getTime();
  const previousSince = new Date(sinceMs - (nowMs - sinceMs));
  const inPeriod = (r: ReportRun, from: number, to: number): boolean => {
    const t = Date.parse(r.startedAt);
    return t >= from && t < to;
  };
  const current = input.runs.filter((r) => inPeriod(r, sinceMs, nowMs));
  const previous = input.runs.filter((r) => inPeriod(r, previousSince.getTime(), sinceMs));
  const ids = new Set(current.map((r) => r.id));
  const requests = input.requests.filter((q) => ids.has(q.runId));
  const approvals = input.approvals.filter((a) => ids.has(a.runId));

  const figures = period(current, since);
  const before = period(previous, previousSince);
  const breachRateChange = figures.breachRate === null || before.breachRate === null ? null : round4(figures.breachRate - before.breachRate);

  const topRuns: TopRun[] = current
    .filter((r) => r.spentNano > 0)
    .sort((a, b) => b.spentNano - a.spentNano || a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id))
    .slice(0, TOP_RUNS)
    .map((r) => ({
      id: r.id,
      startedAt: r.startedAt,
      repo: r.repo,
      command: r.command,
      status: r.status,
      spentUsd: nanoToUsd(r.spentNano),
      budgetUsd: r.budgetUsd,
      exceededInitialBudget: r.exceededInitialBudget,
      hardStop: r.hardStopReason,
    }));

  const stops = new Map<string, number>();
  for (const r of current) if (r.hardStopReason !== null) stops.set(r.hardStopReason, (stops.get(r.hardStopReason) ?? 0) + 1);
  const hardStops = [...stops]
    .map(([reason, runs]) => ({ reason, runs }))
    .sort((a, b) => b.runs - a.runs || a.reason.localeCompare(b.reason));

  const models = new Map<string, Nano>();
  const modelRequests = new Map<string, number>();
  const phases = new Map<string, Nano>(PHASES.map((p) => [p, 0]));
  const days = new Map<string, Nano>();
  for (const q of requests) {
    add(models, q.model, q.costNano);
    modelRequests.set(q.model, (modelRequests.get(q.model) ?? 0) + 1);
    add(phases, q.phase, q.costNano);
    add(days, dayKey(Date.parse(q.at), timeZone), q.costNano);
  }
  const repos = new Map<string, Nano>();
  const repoRuns = new Map<string, number>();
  for (const r of current) {
    add(repos, r.repo, r.spentNano);
    repoRuns.set(r.repo, (repoRuns.get(r.repo) ?? 0) + 1);
  }

  const dayList = daysBetween(dayKey(sinceMs, timeZone), dayKey(Math.max(sinceMs, nowMs - 1), timeZone));
  return {
    ...figures,
    now: now.toISOString(),
    timeZone,
    previous: before,
    breachRateChange,
    topRuns,
    approvals: {
      asked: approvals.filter((a) => a.answer !== 'automatic').length,
      granted: approvals.filter((a) => a.answer === 'approved').length,
      automatic: approvals.filter((a) => a.answer === 'automatic').length,
    },
    hardStops,
    byModel: [...models]
      .map(([model, nano]) => ({ model, usd: nanoToUsd(nano), requests: modelRequests.get(model) ?? 0 }))
      .sort(byAmountThenName((m) => m.model)),
    byPhase: [...phases].map(([phase, nano]) => ({ phase, usd: nanoToUsd(nano) })),
    byRepo: [...repos]
      .map(([repo, nano]) => ({ repo, usd: nanoToUsd(nano), runs: repoRuns.get(repo) ?? 0 }))
      .sort(byAmountThenName((r) => r.repo)),
    perDay: dayList.map((day) => ({ day, usd: nanoToUsd(days.get(day) ?? 0) })),
  };
}
