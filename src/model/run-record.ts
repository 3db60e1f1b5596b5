import type { LimitKind } from '../budget/types.js';
import type { BreachCause } from './breach-causes.js';

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
  /** Why it exceeded its initial envelope (one primary cause, see ledger/breach-cause.ts); null when it did not. */
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

/** Traffic to one tunnelled host. */
export interface HostTraffic {
  connections: number;
  /** Connections capped could not make (the host did not resolve or answer). */
  failed: number;
  bytesUp: number;
  bytesDown: number;
}

/** What a sealed run's record adds: where the agent's tree connected, by host. */
export interface SealedSummary {
  /** Hosts tunnelled untouched (or forwarded, for plain HTTP). */
  hosts: Record<string, HostTraffic>;
  /** Provider hosts whose TLS capped ended and metered: connections by host. */
  intercepted: Record<string, number>;
  /** Connections refused by the host rules, by host. */
  denied: Record<string, number>;
}
