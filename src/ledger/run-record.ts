import { exceededInitialBudget } from '../budget/engine.js';
import { nanoToUsd } from '../budget/money.js';
import type { BudgetState } from '../budget/types.js';
import type { RunPolicy, RunRecord } from '../model/run-record.js';
import { breachCause } from './breach-cause.js';

export type { RunPolicy, RunRecord };

export interface RunFacts {
  id: string;
  command: string[];
  cwd: string;
  startedAt: string;
  endedAt: string;
  exitCode: number;
  apiEquivalent: boolean;
  /** The preset the policy came from, if any. */
  preset?: string | null;
  restrictedTools?: readonly string[];
  /** Restricted tools actually taken out of requests during the run. */
  toolsRemoved?: readonly string[];
  reservation?: { mode: string; riskNano: number; countCalls: number };
  upstreamNonCompliant?: boolean;
  /** Median spend of the repo's recent runs (for the `cap-below-typical` cause); null when unknown. */
  typicalUsd?: number | null;
}

/** Builds the record from the final budget state and what the supervisor saw. */
export function buildRunRecord(state: BudgetState, facts: RunFacts): RunRecord {
  const models: RunRecord['models'] = {};
  for (const [model, spend] of Object.entries(state.models)) models[model] = { usd: nanoToUsd(spend.nano), requests: spend.requests };
  const spentUsd = nanoToUsd(state.spentNano);
  const exceeded = exceededInitialBudget(state);
  const budgetUsd = state.initialCaps.usd === null ? null : nanoToUsd(state.initialCaps.usd);
  const verifyUsd = state.initialPolicy.verifyNano === null ? null : nanoToUsd(state.initialPolicy.verifyNano);
  return {
    id: facts.id,
    command: facts.command,
    cwd: facts.cwd,
    startedAt: facts.startedAt,
    endedAt: facts.endedAt,
    policy: {
      preset: facts.preset ?? null,
      onLimit: state.policy.onLimit,
      escalation: state.policy.escalation,
      model: state.selected?.model ?? state.policy.model,
      downgradeTo: state.policy.downgradeTo,
      restrictedTools: [...(facts.restrictedTools ?? [])],
    },
    // The budget requested at the start; raises approved on the way are in `approvals`.
    budget: {
      usd: budgetUsd,
      tokens: state.initialCaps.tokens,
      actions: state.initialCaps.actions,
      verifyUsd,
    },
    spent: {
      usd: spentUsd,
      inputTokens: state.usage.input,
      outputTokens: state.usage.output,
      cacheReadTokens: state.usage.cacheRead,
      cacheWriteTokens: state.usage.cacheWrite,
      actions: state.actions,
      requests: state.requests,
    },
    phases: {
      implementation: { usd: nanoToUsd(state.phaseSpent.implementation) },
      verification: { usd: nanoToUsd(state.phaseSpent.verification) },
    },
    models,
    mostExpensive: state.mostExpensive
      ? { usd: nanoToUsd(state.mostExpensive.nano), model: state.mostExpensive.model, phase: state.mostExpensive.phase, at: state.mostExpensive.at }
      : null,
    approvals: state.approvals.map((a) => ({ ...a, from: nanoToUsd(a.from), to: nanoToUsd(a.to) })),
    hardStop: state.hardStop,
    exceededInitialBudget: exceeded,
    breachCause: breachCause({
      exceeded,
      hardStopReason: state.hardStop?.reason ?? null,
      escalationApproved: state.approvals.some((a) => a.kind === 'escalation' && a.answer === 'approved'),
      budgetUsd,
      verifyUsd,
      spentUsd,
      verificationUsd: nanoToUsd(state.phaseSpent.verification),
      typicalUsd: facts.typicalUsd ?? null,
    }),
    estimated: state.estimated,
    apiEquivalent: facts.apiEquivalent,
    toolsRemoved: [...(facts.toolsRemoved ?? [])],
    reservation: {
      mode: facts.reservation?.mode ?? 'likely',
      riskUsd: nanoToUsd(facts.reservation?.riskNano ?? 0),
      countCalls: facts.reservation?.countCalls ?? 0,
    },
    upstreamNonCompliant: facts.upstreamNonCompliant ?? false,
    exitCode: facts.exitCode,
  };
}
