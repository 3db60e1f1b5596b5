import { nanoToUsd } from '../budget/money.js';
import type { BudgetState, LimitKind } from '../budget/types.js';

/** The run record: field names are a contract (DESIGN.md); other programs read them. */
export interface RunRecord {
  id: string;
  command: string[];
  cwd: string;
  startedAt: string;
  endedAt: string;
  policy: { onLimit: 'stop' };
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
  approvals: { kind: string; at: string; answer: string; from: number; to: number }[];
  hardStop: { reason: LimitKind; at: string } | null;
  exceededInitialBudget: boolean;
  estimated: boolean;
  /** Paid by a subscription login (not per token): `spent` is the API-equivalent price. */
  apiEquivalent: boolean;
  exitCode: number;
}

export interface RunFacts {
  id: string;
  command: string[];
  cwd: string;
  startedAt: string;
  endedAt: string;
  exitCode: number;
  apiEquivalent: boolean;
}

/** Builds the record from the final budget state and what the supervisor saw. */
export function buildRunRecord(state: BudgetState, facts: RunFacts): RunRecord {
  const models: RunRecord['models'] = {};
  for (const [model, spend] of Object.entries(state.models)) models[model] = { usd: nanoToUsd(spend.nano), requests: spend.requests };
  const spentUsd = nanoToUsd(state.spentNano);
  return {
    id: facts.id,
    command: facts.command,
    cwd: facts.cwd,
    startedAt: facts.startedAt,
    endedAt: facts.endedAt,
    policy: { onLimit: 'stop' },
    budget: {
      usd: state.caps.usd === null ? null : nanoToUsd(state.caps.usd),
      tokens: state.caps.tokens,
      actions: state.caps.actions,
      verifyUsd: null,
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
    // Phases arrive with the verification budget; until then all spend is implementation.
    phases: { implementation: { usd: spentUsd }, verification: { usd: 0 } },
    models,
    mostExpensive: state.mostExpensive
      ? { usd: nanoToUsd(state.mostExpensive.nano), model: state.mostExpensive.model, phase: state.mostExpensive.phase, at: state.mostExpensive.at }
      : null,
    approvals: [],
    hardStop: state.hardStop,
    exceededInitialBudget: state.hardStop !== null,
    estimated: state.estimated,
    apiEquivalent: facts.apiEquivalent,
    exitCode: facts.exitCode,
  };
}
