import type { Nano } from '../budget/money.js';
import type { BudgetState } from '../budget/types.js';

/**
 * A finished run's money in the engine's nano-dollars: what the end-of-run summaries format. The
 * run record holds the same amounts in dollars, for its JSON readers only.
 */
export interface RunMoney {
  spent: Nano;
  /** The initial dollar cap; null without one. */
  budget: Nano | null;
  phases: { implementation: Nano; verification: Nano };
  models: Readonly<Record<string, Nano>>;
  mostExpensive: Nano | null;
  /** Each approval's ceiling before and after, in the record's order. */
  approvals: readonly { from: Nano; to: Nano }[];
}

/** The run's money from the engine's final state. */
export function runMoneyOf(state: BudgetState): RunMoney {
  return {
    spent: state.spentNano,
    budget: state.initialCaps.usd,
    phases: { implementation: state.phaseSpent.implementation, verification: state.phaseSpent.verification },
    models: Object.fromEntries(Object.entries(state.models).map(([model, m]) => [model, m.nano])),
    mostExpensive: state.mostExpensive?.nano ?? null,
    approvals: state.approvals.map((a) => ({ from: a.from, to: a.to })),
  };
}
