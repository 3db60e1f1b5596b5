import { usdToNano, type Nano } from '../budget/money.js';
import { causeOfRow, type BreachCause } from './breach-cause.js';
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
  /** The cause stored when the run finished; null within budget, or for a run that never finished. */
  breachCause: string | null;
  /** The initial verification ceiling in dollars, when the run had one. */
  verifyUsd?: number | null;
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
  spentNano: Nano;
  budgetNano: Nano | null;
  exceededInitialBudget: boolean;
  hardStop: string | null;
  /** Why it exceeded its initial envelope (breach-cause.ts); null when it did not. */
  breachCause: BreachCause | null;
}

/** Breaches of one cause, in this period and the one before (the trend). */
export interface CauseFigures {
  cause: BreachCause;
  runs: number;
  /** Breaches of this cause in the previous period. */
  previous: number;
  /** This period's share of breaches with this cause minus the previous one's; null when either had none. */
  shareChange: number | null;
}

export interface PeriodFigures {
  since: string;
  spentNano: Nano;
  runs: number;
  /** Runs that exceeded their initial envelope: asked for more, downgraded, or hard-stopped. */
  breaches: number;
  /** breaches / runs, to 4 decimals; null without runs. */
  breachRate: number | null;
}

/**
 * The figures of `capped report`, money in integer nano-dollars; report-json.ts turns them into
 * the `--json` output (dollars, stable field names).
 */
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
  /** Breaches grouped by primary cause, most frequent first, with the previous period's count. */
  causes: CauseFigures[];
  byModel: { model: string; nano: Nano; requests: number }[];
  byPhase: { phase: string; nano: Nano }[];
  byRepo: { repo: string; nano: Nano; runs: number }[];
  /** Every calendar day of the period, oldest first, with the spend of requests made that day. */
  perDay: { day: string; nano: Nano }[];
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
    spentNano: runs.reduce((sum, r) => sum + r.spentNano, 0),
    runs: runs.length,
    breaches,
    breachRate: rate(breaches, runs.length),
  };
}

function add<K>(map: Map<K, number>, key: K, amount: number): void {
  map.set(key, (map.get(key) ?? 0) + amount);
}

const byAmountThenName =
  <T extends { nano: Nano }>(name: (t: T) => string) =>
  (a: T, b: T) =>
    b.nano - a.nano || name(a).localeCompare(name(b));

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
 * A breached run's cause: the one stored when it finished, else worked out from what its row
 * holds (a run killed before its record: its hard stop, spend and approvals; no history).
 */
export function causeOfRun(r: ReportRun, escalationApproved: boolean): BreachCause | null {
  return r.exceededInitialBudget ? causeOfRow({ ...r, verifyUsd: r.verifyUsd ?? null }, escalationApproved) : null;
}

/** This period's and the previous period's runs, by start time (the end of each is excluded). */
function splitPeriods(input: ReportInput): { current: ReportRun[]; previous: ReportRun[]; previousSince: Date } {
  const sinceMs = input.since.getTime();
  const nowMs = input.now.getTime();
  const previousSince = new Date(sinceMs - (nowMs - sinceMs));
  const within =
    (from: number, to: number) =>
    (r: ReportRun): boolean => {
      const t = Date.parse(r.startedAt);
      return t >= from && t < to;
    };
  return { current: input.runs.filter(within(sinceMs, nowMs)), previous: input.runs.filter(within(previousSince.getTime(), sinceMs)), previousSince };
}

function topRunsOf(current: readonly ReportRun[], causes: ReadonlyMap<string, BreachCause | null>): TopRun[] {
  return current
    .filter((r) => r.spentNano > 0)
    .sort((a, b) => b.spentNano - a.spentNano || a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id))
    .slice(0, TOP_RUNS)
    .map((r) => ({
      id: r.id,
      startedAt: r.startedAt,
      repo: r.repo,
      command: r.command,
      status: r.status,
      spentNano: r.spentNano,
      // The stored budget is the record's dollars (its JSON contract); exact below $9M.
      budgetNano: r.budgetUsd === null ? null : usdToNano(r.budgetUsd),
      exceededInitialBudget: r.exceededInitialBudget,
      hardStop: r.hardStopReason,
      breachCause: causes.get(r.id) ?? null,
    }));
}

function hardStopsOf(current: readonly ReportRun[]): Report['hardStops'] {
  const stops = new Map<string, number>();
  for (const r of current) if (r.hardStopReason !== null) add(stops, r.hardStopReason, 1);
  return [...stops].map(([reason, runs]) => ({ reason, runs })).sort((a, b) => b.runs - a.runs || a.reason.localeCompare(b.reason));
}

/** Breach counts by cause in both periods; the share change compares each period's mix of causes. */
export function causesOf(current: readonly (BreachCause | null)[], previous: readonly (BreachCause | null)[]): CauseFigures[] {
  const count = (list: readonly (BreachCause | null)[]): Map<BreachCause, number> => {
    const m = new Map<BreachCause, number>();
    for (const c of list) if (c !== null) add(m, c, 1);
    return m;
  };
  const now = count(current);
  const before = count(previous);
  const total = (m: Map<BreachCause, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const [nowTotal, beforeTotal] = [total(now), total(before)];
  return [...new Set([...now.keys(), ...before.keys()])]
    .map((cause) => {
      const runs = now.get(cause) ?? 0;
      const prev = before.get(cause) ?? 0;
      return { cause, runs, previous: prev, shareChange: nowTotal === 0 || beforeTotal === 0 ? null : round4(runs / nowTotal - prev / beforeTotal) };
    })
    .sort((a, b) => b.runs - a.runs || b.previous - a.previous || a.cause.localeCompare(b.cause));
}

function approvalFigures(approvals: readonly ReportApproval[]): Report['approvals'] {
  return {
    asked: approvals.filter((a) => a.answer !== 'automatic').length,
    granted: approvals.filter((a) => a.answer === 'approved').length,
    automatic: approvals.filter((a) => a.answer === 'automatic').length,
  };
}

/** Spend by model, phase and day, from the period's requests. */
function requestBreakdowns(requests: readonly ReportRequest[], input: ReportInput, timeZone: string): Pick<Report, 'byModel' | 'byPhase' | 'perDay'> {
  const models = new Map<string, Nano>();
  const modelRequests = new Map<string, number>();
  const phases = new Map<string, Nano>(PHASES.map((p) => [p, 0]));
  const days = new Map<string, Nano>();
  for (const q of requests) {
    add(models, q.model, q.costNano);
    add(modelRequests, q.model, 1);
    add(phases, q.phase, q.costNano);
    add(days, dayKey(Date.parse(q.at), timeZone), q.costNano);
  }
  const sinceMs = input.since.getTime();
  const dayList = daysBetween(dayKey(sinceMs, timeZone), dayKey(Math.max(sinceMs, input.now.getTime() - 1), timeZone));
  return {
    byModel: [...models].map(([model, nano]) => ({ model, nano, requests: modelRequests.get(model) ?? 0 })).sort(byAmountThenName((m) => m.model)),
    byPhase: [...phases].map(([phase, nano]) => ({ phase, nano })),
    perDay: dayList.map((day) => ({ day, nano: days.get(day) ?? 0 })),
  };
}

function byRepoOf(current: readonly ReportRun[]): Report['byRepo'] {
  const repos = new Map<string, Nano>();
  const repoRuns = new Map<string, number>();
  for (const r of current) {
    add(repos, r.repo, r.spentNano);
    add(repoRuns, r.repo, 1);
  }
  return [...repos].map(([repo, nano]) => ({ repo, nano, runs: repoRuns.get(repo) ?? 0 })).sort(byAmountThenName((r) => r.repo));
}

/**
 * Computes the report from ledger rows. A run belongs to the period it started in. Totals, the top
 * runs and spend by repo come from each run's spend (its record once finished); spend by model,
 * phase and day from its recorded requests, which add up to the same when every settled request
 * was recorded.
 */
export function computeReport(input: ReportInput): Report {
  const timeZone = input.timeZone ?? 'UTC';
  const { current, previous, previousSince } = splitPeriods(input);
  const escalated = new Set(input.approvals.filter((a) => a.kind === 'escalation' && a.answer === 'approved').map((a) => a.runId));
  const causes = new Map(input.runs.map((r) => [r.id, causeOfRun(r, escalated.has(r.id))]));
  const ids = new Set(current.map((r) => r.id));
  const figures = period(current, input.since);
  const before = period(previous, previousSince);
  return {
    ...figures,
    now: input.now.toISOString(),
    timeZone,
    previous: before,
    breachRateChange: figures.breachRate === null || before.breachRate === null ? null : round4(figures.breachRate - before.breachRate),
    topRuns: topRunsOf(current, causes),
    approvals: approvalFigures(input.approvals.filter((a) => ids.has(a.runId))),
    hardStops: hardStopsOf(current),
    causes: causesOf(
      current.map((r) => causes.get(r.id) ?? null),
      previous.map((r) => causes.get(r.id) ?? null),
    ),
    ...requestBreakdowns(
      input.requests.filter((q) => ids.has(q.runId)),
      input,
      timeZone,
    ),
    byRepo: byRepoOf(current),
  };
}
