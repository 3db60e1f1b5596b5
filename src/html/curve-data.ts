import { nanoToUsd } from '../budget/money.js';
import { LIMIT_NAMES } from '../budget/messages.js';
import type { LimitKind } from '../budget/types.js';
import type { RunDetail } from '../ledger/ledger.js';
import { money } from '../ledger/text.js';

/** A hard stop's reason as people read it: `spending cap`, `verification cap`. */
export function stopName(reason: string): string {
  const name = (LIMIT_NAMES as Record<string, string | undefined>)[reason as LimitKind];
  return name === undefined ? reason : `${name} cap`;
}

/** One request on a run's spend curve. */
export interface CurvePoint {
  /** Milliseconds since the run started. */
  t: number;
  at: string;
  /** The run's spend after this request. */
  usd: number;
  costUsd: number;
  model: string;
  phase: string;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  estimated: boolean;
  reserved: boolean;
}

export type MarkKind = 'verification' | 'implementation' | 'approval' | 'escalation' | 'stop';

/** A moment marked on the curve: a phase switch, an approval, an escalation or the hard stop. */
export interface CurveMark {
  t: number;
  at: string;
  kind: MarkKind;
  label: string;
}

export interface Curve {
  startedAt: string;
  /** The curve's time span (ms): to the run's end, or its last request or mark. */
  spanMs: number;
  totalUsd: number;
  capUsd: number | null;
  points: CurvePoint[];
  marks: CurveMark[];
}

/** The spend-over-time curve of one run, from its recorded requests, approvals and hard stop. */
export function runCurve(run: RunDetail): Curve {
  const start = Date.parse(run.startedAt);
  const since = (at: string): number => Math.max(0, Date.parse(at) - start);
  const requests = [...run.requests].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  let nano = 0;
  const points: CurvePoint[] = requests.map((q) => {
    nano += q.costNano;
    return {
      t: since(q.at),
      at: q.at,
      usd: nanoToUsd(nano),
      costUsd: nanoToUsd(q.costNano),
      model: q.model,
      phase: q.phase,
      tokens: { ...q.tokens },
      estimated: q.estimated,
      reserved: q.reserved ?? false,
    };
  });
  const marks: CurveMark[] = [];
  points.forEach((p, i) => {
    const before = i === 0 ? 'implementation' : points[i - 1]!.phase;
    if (p.phase !== before) {
      const kind = p.phase === 'verification' ? 'verification' : 'implementation';
      marks.push({ t: p.t, at: p.at, kind, label: `${kind} starts` });
    }
  });
  for (const a of run.record.approvals) {
    const kind = a.kind === 'escalation' ? 'escalation' : 'approval';
    const what = a.kind === 'escalation' || a.kind === 'downgrade' ? `${a.kind}${a.model ? ` to ${a.model}` : ''}` : `${a.kind} approval`;
    marks.push({ t: since(a.at), at: a.at, kind, label: `${what}: ${a.answer}, cap ${money(a.from)} → ${money(a.to)}` });
  }
  const stop = run.record.hardStop ?? run.hardStop;
  if (stop) marks.push({ t: since(stop.at), at: stop.at, kind: 'stop', label: `hard stop at the ${stopName(stop.reason)}` });
  marks.sort((a, b) => a.t - b.t);
  const end = run.endedAt === null ? 0 : since(run.endedAt);
  const spanMs = Math.max(end, ...points.map((p) => p.t), ...marks.map((m) => m.t));
  return { startedAt: run.startedAt, spanMs, totalUsd: nanoToUsd(nano), capUsd: run.budgetUsd, points, marks };
}
