/** The primary causes a breached run can have (rules in ledger/breach-cause.ts); the ledger stores one. */
export const BREACH_CAUSES = ['cap-below-typical', 'verification-heavy', 'escalation', 'retry-loop', 'scope', 'idle', 'tool-actions'] as const;

export type BreachCause = (typeof BREACH_CAUSES)[number];
