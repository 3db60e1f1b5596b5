import { describe, expect, it } from 'vitest';
import { initialState } from '../../../src/budget/engine.js';
import type { BudgetState } from '../../../src/budget/types.js';
import { githubSummary } from '../../../src/ledger/github-summary.js';
import { buildRunRecord } from '../../../src/ledger/run-record.js';
import { formatUsd, formatUsdShort } from '../../../src/model/format.js';
import { runMoneyOf } from '../../../src/model/run-money.js';
import { LineReporter } from '../../../src/ui/line-reporter.js';
import { summaryFromRecord } from '../../../src/ui/summary-model.js';

// The end-of-run summaries format the engine's nano-dollars (runMoneyOf), never the record's
// dollars turned back into nano: each amount reads exactly as formatting the engine's value does.

const FACTS = { id: 'r', command: ['claude'], cwd: '/', startedAt: 'S', endedAt: 'E', exitCode: 0, apiEquivalent: false };

/** A finished run that spent `a` on one model in implementation and `b` on another in verification. */
function ran(a: number, b: number, cap: number | null): BudgetState {
  const base = initialState({ usd: cap, tokens: null, actions: null });
  return {
    ...base,
    spentNano: a + b,
    requests: 2,
    phaseSpent: { implementation: a, verification: b },
    models: { m1: { nano: a, requests: 1 }, m2: { nano: b, requests: 1 } },
    mostExpensive: { nano: Math.max(a, b), model: a >= b ? 'm1' : 'm2', phase: a >= b ? 'implementation' : 'verification', at: 'T' },
    approvals: [{ kind: 'limit', at: 'T', answer: 'approved', from: 100_000_000, to: cap ?? 0 }],
  };
}

function lines(state: BudgetState): string[] {
  let out = '';
  new LineReporter((t) => (out += t), { color: false, everyRequest: false }).summary(buildRunRecord(state, FACTS), null, runMoneyOf(state));
  return out.trimEnd().split('\n');
}

describe('end-of-run summaries in nano-dollars', () => {
  it('0.1 + 0.2 of spend reads $0.30 everywhere, as the engine formats 300_000_000', () => {
    const state = ran(100_000_000, 200_000_000, 1_000_000_000);
    const money = runMoneyOf(state);
    expect(money.spent).toBe(300_000_000);
    expect(lines(state)[0]).toContain(`spent ${formatUsd(300_000_000)} of ${formatUsd(1_000_000_000)} requested (30.0% consumed)`);
    expect(lines(state)[2]).toBe(`capped: most expensive request: ${formatUsd(200_000_000)} on m2 at T`);
    const props = summaryFromRecord(buildRunRecord(state, FACTS), money, 80);
    expect(props).toMatchObject({ spent: formatUsdShort(300_000_000), requested: formatUsdShort(1_000_000_000), consumed: '30%' });
    expect(props.phases).toEqual([
      { name: 'implementation', value: formatUsdShort(100_000_000) },
      { name: 'verification', value: formatUsdShort(200_000_000) },
    ]);
    expect(props.approvals[0]!.question).toBe(`limit: ${formatUsdShort(100_000_000)} → ${formatUsdShort(1_000_000_000)}`);
    const md = githubSummary(buildRunRecord(state, FACTS), money);
    expect(md).toContain(`| Spent | ${formatUsd(300_000_000)} of ${formatUsd(1_000_000_000)} (30.0%) |`);
    expect(md).toContain(`| \`m2\` | ${formatUsd(200_000_000)} | 1 |`);
  });

  it('takes amounts a float round trip would move by a nano straight from the engine', () => {
    // Math.round((n / 1e9) * 1e9) is n + 1 for this n: the record's dollars cannot give it back.
    const n = 8_999_999_999_999_014;
    expect(Math.round((n / 1e9) * 1e9)).not.toBe(n);
    const state = ran(n - 1_000_000, 1_000_000, null);
    const money = runMoneyOf(state);
    expect(money).toMatchObject({ spent: n, budget: null, phases: { implementation: n - 1_000_000, verification: 1_000_000 }, mostExpensive: n - 1_000_000 });
    expect(lines(state)[0]).toContain(`spent ${formatUsd(n)} · 2 requests`);
    expect(summaryFromRecord(buildRunRecord(state, FACTS), money, 80).spent).toBe(formatUsdShort(n));
  });
});
