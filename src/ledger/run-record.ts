import { exceededInitialBudget } from '../budget/engine.js';
import { nanoToUsd } from '../budget/money.js';
import type { BudgetState, LimitKind } from '../budget/types.js';
import type { SealedSummary } from '../sealed/gateway.js';
import { breachCause, type BreachCause } from './breach-cause.js';

/** The run record: field names are a contract (DESIGN.md); other programs read them. */
export interface RunRecord {
  id: string;
  command: string[];
  cwd: string;
  startedAt: string;
  endedAt: string;
  policy: RunPolicy;
  budget: { usd: number | null; tokens: number | null; actions: number | null; verifyUsd: number | null };
  spent: {
    usd: number;
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
    actions: number;
    requests: number;
  };
  phases: { implementation: { usd: number }; verification: { usd: number } };
  models: Record<string, { usd: number; requests: number }>;
  mostExpensive: { usd: number; model: string; phase: string; at: string } | null;
  approvals: { kind: string; at: string; answer: string; from: number; to: number; model?: string }[];
  /** `detail`: why in words, for the guards (`loop`, `scope`): the step and its last error, the files read. */
  hardStop: { reason: LimitKind; at: string; detail?: string } | null;
  exceededInitialBudget: boolean;
  /** Why it exceeded its initial envelope (one primary cause, see breach-cause.ts); null when it did not. */
  breachCause?: BreachCause | null;
  estimated: boolean;
  /** Paid by a subscription login (not per token): `spent` is the API-equivalent price. */
  apiEquivalent: boolean;
  /** Restricted tools that were taken out of requests (the model could not call them). */
  toolsRemoved: string[];
  /**
   * How requests were priced before they were sent: `likely` (cache-aware) or `worst`; `riskUsd`
   * is the most any request's input was billed above what it was reserved at (the risk `likely`
   * took); `countCalls` how often the provider's free exact count was asked for.
   */
  reservation?: { mode: string; riskUsd: number; countCalls: number };
  /** An upstream produced more output than the ceiling a request was sent with (it ignores output limits). */
  upstreamNonCompliant?: boolean;
  exitCode: number;
  /** A sealed run (`--sealed`): the hosts its tree connected to through capped. */
  sealed?: SealedSummary;
}

/** The policy the run was held to (beyond the caps in `budget`). */
export interface RunPolicy {
  /** The preset the policy started from, if any. */
  preset: string | null;
  onLimit: string;
  escalation: string;
  model: string | null;
  downgradeTo: string | null;
  /** Tools the policy removes from every request. */
  restrictedTools: string[];
}

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
