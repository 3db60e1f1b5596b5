import { nanoToUsd, type Nano } from '../budget/money.js';
import { BREACH_CAUSES, type BreachCause } from '../model/breach-causes.js';

/**
 * Why a run exceeded its initial envelope: ONE primary cause per breached run, so `capped report`
 * can say where the workflow leaks. Pure: the facts come from the run record (or, for a run that
 * never finished, from its ledger row) and from the repo's history.
 *
 * Precedence, first rule that holds wins:
 *  1. A guard that stopped the run names the cause: hard stop `loop` → `retry-loop`, `scope` →
 *     `scope`, `idle` → `idle`, `actions` → `tool-actions`, `verify` → `verification-heavy`.
 *  2. `escalation`: a switch to a pricier model was approved (the envelope grew with the model).
 *  3. `cap-below-typical`: the run's dollar cap was below the median spend of the repo's recent
 *     runs (known when the ledger has at least HISTORY_MIN_RUNS of them).
 *  4. `verification-heavy`: verification took more than its share of the spend (the share of the
 *     run budget the verification ceiling allows: verifyUsd / usd, else the default 40%).
 *  5. `cap-below-typical` otherwise: the run simply needed more than its cap (a dollar, token or
 *     window stop, a raise approved at the limit, a downgrade) and nothing above explains it.
 */
export { BREACH_CAUSES, type BreachCause };

/** The verification share of DESIGN.md (and `verifyShare`'s default) when the run had no ceiling. */
export const DEFAULT_VERIFY_SHARE = 0.4;

export interface BreachFacts {
  /** The run exceeded its initial envelope (or hit a hard stop). */
  exceeded: boolean;
  hardStopReason: string | null;
  /** Some escalation to a pricier model was approved. */
  escalationApproved: boolean;
  /** The initial dollar cap; null when dollars were not capped. */
  budgetUsd: number | null;
  /** The initial verification ceiling in dollars, when it had one. */
  verifyUsd: number | null;
  spentUsd: number;
  /** Spent while verifying; null when not known (a run without its record). */
  verificationUsd: number | null;
  /** Median spend of the repo's recent runs; null when there are too few to say. */
  typicalUsd: number | null;
}

const STOP_CAUSES: Readonly<Record<string, BreachCause>> = {
  loop: 'retry-loop',
  scope: 'scope',
  idle: 'idle',
  actions: 'tool-actions',
  verify: 'verification-heavy',
};

/** The share of spend verification may take before a breach is laid at its door. */
export function verifyShareOf(budgetUsd: number | null, verifyUsd: number | null): number {
  return budgetUsd !== null && budgetUsd > 0 && verifyUsd !== null ? verifyUsd / budgetUsd : DEFAULT_VERIFY_SHARE;
}

/** The primary cause of a breach (see the precedence above); null for a run within its envelope. */
export function breachCause(f: BreachFacts): BreachCause | null {
  if (!f.exceeded) return null;
  const stop = f.hardStopReason === null ? undefined : STOP_CAUSES[f.hardStopReason];
  if (stop) return stop;
  if (f.escalationApproved) return 'escalation';
  if (f.typicalUsd !== null && f.budgetUsd !== null && f.budgetUsd < f.typicalUsd) return 'cap-below-typical';
  if (f.verificationUsd !== null && f.spentUsd > 0 && f.verificationUsd > verifyShareOf(f.budgetUsd, f.verifyUsd) * f.spentUsd) return 'verification-heavy';
  return 'cap-below-typical';
}

export function isBreachCause(value: string): value is BreachCause {
  return (BREACH_CAUSES as readonly string[]).includes(value);
}

/** What a run's ledger row says of its breach (a row, not a record: a run killed early has no record). */
export interface BreachRow {
  breachCause: string | null;
  hardStopReason: string | null;
  budgetUsd: number | null;
  verifyUsd: number | null;
  spentNano: Nano;
}

/**
 * A breached run's cause: the one stored when it finished, else worked out from its row (a run
 * killed before its record: its hard stop, spend and approvals; no history, no verification split).
 */
export function causeOfRow(row: BreachRow, escalationApproved: boolean): BreachCause {
  if (row.breachCause !== null && isBreachCause(row.breachCause)) return row.breachCause;
  const facts = { exceeded: true, hardStopReason: row.hardStopReason, escalationApproved, budgetUsd: row.budgetUsd, verifyUsd: row.verifyUsd };
  // Exceeded, so rule 5 always gives a cause; the fallback is for the type only.
  return breachCause({ ...facts, spentUsd: nanoToUsd(row.spentNano), verificationUsd: null, typicalUsd: null }) ?? 'cap-below-typical';
}
