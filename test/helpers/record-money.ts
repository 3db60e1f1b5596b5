import type { RunRecord } from '../../src/model/run-record.js';
import type { RunMoney } from '../../src/model/run-money.js';

const nano = (usd: number): number => Math.round(usd * 1e9);

/**
 * A hand-written record fixture's amounts as the engine would hold them (nano-dollars), for tests of
 * the summaries whose fixtures are records. The code itself never goes this way: it takes the
 * engine's state (runMoneyOf).
 */
export function fixtureMoney(record: RunRecord): RunMoney {
  return {
    spent: nano(record.spent.usd),
    budget: record.budget.usd === null ? null : nano(record.budget.usd),
    phases: { implementation: nano(record.phases.implementation.usd), verification: nano(record.phases.verification.usd) },
    models: Object.fromEntries(Object.entries(record.models).map(([model, m]) => [model, nano(m.usd)])),
    mostExpensive: record.mostExpensive === null ? null : nano(record.mostExpensive.usd),
    approvals: record.approvals.map((a) => ({ from: nano(a.from), to: nano(a.to) })),
  };
}
