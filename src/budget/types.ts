import type { GuardFacts, GuardMarks, GuardTrip } from './guard-types.js';
import type { Nano } from './money.js';

/** Token counts by billing kind. `input` excludes cache reads and writes (Anthropic's convention). */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Which boundary stopped or held the run: dollars, tokens, tool actions, the verification
 * phase's dollars, nobody at the keyboard, a daily/weekly window, a retry loop, or scope growth. */
export type LimitKind = 'usd' | 'tokens' | 'actions' | 'verify' | 'idle' | 'window' | 'loop' | 'scope';

export type Phase = 'implementation' | 'verification';

/** The run's ceilings; null means that dimension is not capped. */
export interface Caps {
  usd: Nano | null;
  tokens: number | null;
  /** Tool calls the model may ask for in the run. */
  actions: number | null;
}

/** What the run does at a limit and around model choice (DESIGN.md's four boundaries). */
export interface EnginePolicy {
  /** At a limit: end the agent, ask for more, or continue on `downgradeTo`. */
  onLimit: 'stop' | 'ask' | 'downgrade';
  downgradeTo: string | null;
  /** A request for a pricier model than the selected one. */
  escalation: 'allow' | 'deny' | 'ask';
  /** With escalation denied: send the request on the selected model instead, or refuse it. */
  escalationDeny: 'send-selected' | 'refuse';
  /** The verification phase's own dollar ceiling (null: none). */
  verifyNano: Nano | null;
  /** The run's selected model; null: the first main-loop request selects it. */
  model: string | null;
  /** Failing attempts in a row of one step that make a retry loop, and what it does then. */
  loop: { attempts: number; onLoop: 'ask' | 'stop' | 'off' };
  /** Distinct files the agent may read (null: no limit), and what happens past them. */
  scope: { files: number | null; onScope: 'ask' | 'stop' };
}

/**
 * What a request may cost, priced before it is sent. `inputNano` is the priced input estimate,
 * `outPicoPerToken` the price of one output token at this request's tier.
 */
export interface Quote {
  inputTokens: number;
  inputNano: Nano;
  outPicoPerToken: number;
}

/** The same request priced on another model (the selected one, or the downgrade target). */
export interface Alternative {
  model: string;
  quote: Quote;
}

export interface Reservation {
  model: string;
  nano: Nano;
  tokens: number;
  /** Output tokens the request may still produce within its reservation. */
  allowedOut: number;
  outPicoPerToken: number;
  phase: Phase;
}

export interface ModelSpend {
  nano: Nano;
  requests: number;
}

export interface CostlyRequest {
  nano: Nano;
  model: string;
  phase: Phase;
  at: string;
}

export interface HardStop {
  reason: LimitKind;
  at: string;
  /** Why, in words, when the reason alone does not say it (a guard: which step, which error). */
  detail?: string;
}

/** A question put to the person (or decided by policy), as the run record keeps it. */
export interface Approval {
  kind: 'limit' | 'escalation' | 'downgrade' | 'idle' | 'loop' | 'scope';
  at: string;
  answer: 'approved' | 'denied' | 'automatic';
  /** Dollar ceiling before and after (the same when nothing changed). */
  from: Nano;
  to: Nano;
  /** The model the question was about (escalation, downgrade). */
  model?: string;
}

/** A daily or weekly ceiling across runs, as a refusal describes it. */
export interface WindowInfo {
  kind: 'daily' | 'weekly';
  ceilingNano: Nano;
  spentNano: Nano;
  resetsAt: string;
}

export type RequestEvent = {
  type: 'request';
  id: string;
  at: string;
  model: string;
  quote: Quote;
  /** The output ceiling the client asked for (or the model's maximum when it set none). */
  maxTokens: number;
  /** False when the output ceiling cannot be lowered: the request fits whole or not at all. */
  clampable?: boolean;
  /** A main-loop request (it offers the model tools); background calls never select the model. */
  mainLoop?: boolean;
  /** The request priced on the selected model and on the downgrade target, when they differ. */
  alternatives?: { selected?: Alternative; downgrade?: Alternative };
  /** What the request's history shows of runaway patterns (retry loop, files read). */
  guards?: GuardFacts;
};

/** A question the engine is waiting on, with the request (or the tool call) it holds. */
export type PendingAsk =
  | { kind: 'limit' | 'escalation' | 'idle'; event: RequestEvent; limit: LimitKind | null; from: Nano; to: Nano }
  /** A tool call that streamed in while nobody was at the keyboard: held before the agent runs it. */
  | { kind: 'idle-tool'; requestId: string; limit: 'idle'; from: Nano; to: Nano }
  /** A guard tripped (retry loop, scope): continue or stop. */
  | { kind: 'guard'; event: RequestEvent; limit: 'loop' | 'scope'; from: Nano; to: Nano; trip: GuardTrip };

export interface BudgetState {
  caps: Caps;
  /** The ceilings the run started with: exceeding them is a breach of the initial envelope. */
  initialCaps: Caps;
  /** The caps configuration last set (they differ from `caps` by raises approved at the terminal). */
  configCaps: Caps;
  policy: EnginePolicy;
  initialPolicy: EnginePolicy;
  spentNano: Nano;
  usage: TokenUsage;
  requests: number;
  /** Tool calls the model asked for (counted as they stream, before the agent can run them). */
  actions: number;
  reserved: Readonly<Record<string, Reservation>>;
  models: Readonly<Record<string, ModelSpend>>;
  mostExpensive: CostlyRequest | null;
  hardStop: HardStop | null;
  estimated: boolean;
  phase: Phase;
  phaseSpent: Readonly<Record<Phase, Nano>>;
  /** The model requests are compared with for escalation, and its output price. */
  selected: { model: string; outPicoPerToken: number } | null;
  /** Set once the run continued on a cheaper model at its limit. */
  downgradedTo: string | null;
  approvals: readonly Approval[];
  pending: Readonly<Record<string, PendingAsk>>;
  /** Nobody has typed for the idle window: the next spending step waits for an explicit answer. */
  idle: boolean;
  /** What the guards asked about and were told to let go on. */
  guards: GuardMarks;
}

export type BudgetEvent =
  | RequestEvent
  | {
      type: 'settle';
      id: string;
      at: string;
      model: string;
      usage: TokenUsage;
      costNano: Nano;
      estimated: boolean;
    }
  /** The response of request `id` asks for one more tool call (`tool`: its name, when known). */
  | { type: 'tool-call'; id: string; at: string; tool?: string }
  /**
   * The provider reported request `id`'s real input (before generating): its priced cost and token
   * count replace the estimate, and the output it may still produce is recomputed.
   */
  | { type: 'input-known'; id: string; inputNano: Nano; inputTokens: number }
  /**
   * Request `id`'s response reached its output allowance and no more could be had: the run is at
   * its cap. `needNano` is what the response alone needed beyond what was left.
   */
  | { type: 'cut'; id: string; at: string; limit: LimitKind; needNano?: Nano }
  /**
   * Request `id`'s response reached its output allowance: it may go on to `outputTokens` in all if
   * the budget can pay for them.
   */
  | { type: 'extend'; id: string; outputTokens: number }
  /**
   * Request `id`'s response produced more output than the ceiling it was sent with (an upstream
   * that ignores the output limit): nothing more may be sent through it.
   */
  | { type: 'overrun'; id: string; at: string }
  /** The request ended without anything billable (e.g. upstream unreachable, 4xx). */
  | { type: 'release'; id: string }
  /** The request's outcome can no longer be read (capped is exiting): charge its whole reservation. */
  | { type: 'abandon'; id: string; at: string }
  /** The answer to an `ask`; `addNano` replaces the proposed increase for a limit. */
  | { type: 'answer'; id: string; at: string; approve: boolean; addNano?: Nano }
  /** The client behind a held request went away: drop the question. */
  | { type: 'withdraw'; id: string }
  /** The agent moved to verifying (tests, lint, builds) or back to implementing. */
  | { type: 'phase'; phase: Phase; at: string }
  /** No keystroke for the idle window. Only an answer resumes (a keystroke alone does not). */
  | { type: 'idle'; at: string }
  /**
   * Request `id` would pass a daily or weekly ceiling shared by every run of the ledger: it is
   * dropped and the run is stopped (the `pause` policy waits for the window instead, outside).
   */
  | { type: 'window-limit'; id: string; at: string; window: WindowInfo }
  /** The policy changed while the run goes on (.budgetrc edited): new caps apply to the next request. */
  | { type: 'policy'; at: string; caps: Caps; policy: EnginePolicy };

export type BudgetAction =
  /**
   * Send the request. `maxTokens` is set when the output ceiling had to be lowered, `model` when
   * the request must go to another model (escalation denied, or downgraded at the limit).
   */
  | { type: 'forward'; id: string; maxTokens: number | null; model: string | null; reservedNano: Nano }
  | { type: 'refuse'; id: string; limit: LimitKind | 'escalation'; message: string }
  /** It does not fit only because of requests still in flight: decide again once they settle. */
  | { type: 'defer'; id: string }
  /** Hold the request and put this question; an `answer` event decides it. */
  | {
      type: 'ask';
      id: string;
      kind: 'limit' | 'escalation' | 'idle' | 'guard';
      limit: LimitKind | null;
      question: string;
      from: Nano;
      to: Nano;
      model: string;
      detail?: string;
    }
  /** The question about request `id` no longer stands (its client went away). */
  | { type: 'ask-closed'; id: string }
  | { type: 'terminate'; reason: LimitKind }
  /** The tool call may reach the agent. */
  | { type: 'allow-tool'; id: string }
  /**
   * The real input left room for only `outputTokens` more output: the proxy ends the response
   * there (it reports `cut`), since the request was sent with a higher ceiling.
   */
  | { type: 'truncate'; id: string; outputTokens: number; limit: LimitKind }
  /**
   * The answer to `extend`: the response may now produce `allowedOut` output tokens. When that is
   * less than asked, `short` says why: other requests in flight hold the room (`wait`: their
   * reservations are worst cases and may free it), or a limit of the run itself.
   */
  | { type: 'extended'; id: string; allowedOut: number; short: null | 'wait' | LimitKind }
  | { type: 'settled'; id: string; costNano: Nano; spentNano: Nano }
  /** The request's reservation was dropped without a charge (it failed before any usage). */
  | { type: 'released'; id: string }
  | { type: 'phase-changed'; phase: Phase };

export interface StepResult {
  state: BudgetState;
  actions: BudgetAction[];
}
