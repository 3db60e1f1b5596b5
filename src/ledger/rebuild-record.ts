import { nanoToUsd, type Nano } from '../budget/money.js';
import type { RecordedRequest } from './ledger.js';
import { breachCause } from './breach-cause.js';
import type { RunRecord } from './run-record.js';

/** What the ledger knows of a run that has not (or never) finished. */
export interface UnfinishedRun {
  id: string;
  command: string[];
  cwd: string;
  startedAt: string;
  /** Its last recorded activity, which stands in for the end. */
  lastAt: string;
  budget: RunRecord['budget'];
  policy: RunRecord['policy'];
  hardStop: { reason: string; at: string } | null;
}

/**
 * Whether an approval took the run out of its initial envelope: a downgrade, or a raise at a limit
 * that was approved (the budget engine's `exceededInitialBudget` rule, applied to stored rows).
 */
export function approvalExceedsEnvelope(a: { kind: string; answer: string }): boolean {
  return a.kind === 'downgrade' || (a.kind === 'limit' && a.answer === 'approved');
}

/** The exit code of a run whose capped never reported one (it was killed, or is still running). */
export const UNKNOWN_EXIT_CODE = -1;

/**
 * Rebuilds the run record of a run that never finished from the requests and approvals written
 * as it went. Tool actions are not kept per request, so they read 0; the exit code is unknown.
 */
export function rebuildRecord(run: UnfinishedRun, requests: readonly RecordedRequest[], approvals: RunRecord['approvals']): RunRecord {
  let spent: Nano = 0;
  const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  const phases: Record<string, Nano> = { implementation: 0, verification: 0 };
  const models = new Map<string, { nano: Nano; requests: number }>();
  let costliest: RecordedRequest | null = null;
  let estimated = false;
  for (const r of requests) {
    spent += r.costNano;
    tokens.input += r.tokens.input;
    tokens.output += r.tokens.output;
    tokens.cacheRead += r.tokens.cacheRead;
    tokens.cacheWrite += r.tokens.cacheWrite;
    phases[r.phase] = (phases[r.phase] ?? 0) + r.costNano;
    const m = models.get(r.model) ?? { nano: 0, requests: 0 };
    models.set(r.model, { nano: m.nano + r.costNano, requests: m.requests + 1 });
    if (costliest === null || r.costNano > costliest.costNano) costliest = r;
    estimated ||= r.estimated;
  }
  const hardStop = run.hardStop ? { reason: run.hardStop.reason as NonNullable<RunRecord['hardStop']>['reason'], at: run.hardStop.at } : null;
  const exceeded = hardStop !== null || approvals.some(approvalExceedsEnvelope);
  const cause = breachCause({
    exceeded,
    hardStopReason: hardStop?.reason ?? null,
    escalationApproved: approvals.some((a) => a.kind === 'escalation' && a.answer === 'approved'),
    budgetUsd: run.budget.usd,
    verifyUsd: run.budget.verifyUsd,
    spentUsd: nanoToUsd(spent),
    verificationUsd: nanoToUsd(phases.verification ?? 0),
    typicalUsd: null,
  });
  return {
    id: run.id,
    command: run.command,
    cwd: run.cwd,
    startedAt: run.startedAt,
    endedAt: run.lastAt,
    policy: run.policy,
    budget: run.budget,
    spent: {
      usd: nanoToUsd(spent),
      inputTokens: tokens.input,
      outputTokens: tokens.output,
      cacheReadTokens: tokens.cacheRead,
      cacheWriteTokens: tokens.cacheWrite,
      actions: 0,
      requests: requests.length,
    },
    phases: {
      implementation: { usd: nanoToUsd(phases.implementation ?? 0) },
      verification: { usd: nanoToUsd(phases.verification ?? 0) },
    },
    models: Object.fromEntries([...models].map(([model, m]) => [model, { usd: nanoToUsd(m.nano), requests: m.requests }])),
    mostExpensive: costliest ? { usd: nanoToUsd(costliest.costNano), model: costliest.model, phase: costliest.phase, at: costliest.at } : null,
    approvals: [...approvals],
    hardStop,
    exceededInitialBudget: exceeded,
    breachCause: cause,
    estimated,
    apiEquivalent: false,
    toolsRemoved: [],
    exitCode: UNKNOWN_EXIT_CODE,
  };
}
