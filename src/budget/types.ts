import type { Nano } from './money.js';

/** Token counts by billing kind. `input` excludes cache reads and writes (Anthropic's convention). */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export type LimitKind = 'usd' | 'tokens' | 'actions';

/** The run's ceilings; null means that dimension is not capped. */
export interface Caps {
  usd: Nano | null;
  tokens: number | null;
  /** Tool calls the model may ask for in the run. */
  actions: number | null;
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

export interface Reservation {
  model: string;
  nano: Nano;
  tokens: number;
  /** Output tokens the request may still produce within its reservation. */
  allowedOut: number;
  outPicoPerToken: number;
}

export interface ModelSpend {
  nano: Nano;
  requests: number;
}

export interface CostlyRequest {
  nano: Nano;
  model: string;
  phase: 'implementation' | 'verification';
  at: string;
}

export interface HardStop {
  reason: LimitKind;
  at: string;
}

export interface BudgetState {
  caps: Caps;
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
}

export type BudgetEvent =
  | {
      type: 'request';
      id: string;
      at: string;
      model: string;
      quote: Quote;
      /** The output ceiling the client asked for (or the model's maximum when it set none). */
      maxTokens: number;
      /** False when the output ceiling cannot be lowered: the request fits whole or not at all. */
      clampable?: boolean;
    }
  | {
      type: 'settle';
      id: string;
      at: string;
      model: string;
      usage: TokenUsage;
      costNano: Nano;
      estimated: boolean;
    }
  /** The response of request `id` asks for one more tool call. */
  | { type: 'tool-call'; id: string; at: string }
  /**
   * The provider reported request `id`'s real input (before generating): its priced cost and token
   * count replace the estimate, and the output it may still produce is recomputed.
   */
  | { type: 'input-known'; id: string; inputNano: Nano; inputTokens: number }
  /** Request `id`'s response reached the output limit a `truncate` set: the run is at its cap. */
  | { type: 'cut'; id: string; at: string; limit: LimitKind }
  /** The request ended without anything billable (e.g. upstream unreachable, 4xx). */
  | { type: 'release'; id: string }
  /** The request's outcome can no longer be read (capped is exiting): charge its whole reservation. */
  | { type: 'abandon'; id: string; at: string };

export type BudgetAction =
  /** Send the request; `maxTokens` is set when the output ceiling had to be lowered. */
  | { type: 'forward'; id: string; maxTokens: number | null; reservedNano: Nano }
  | { type: 'refuse'; id: string; limit: LimitKind; message: string }
  /** It does not fit only because of requests still in flight: decide again once they settle. */
  | { type: 'defer'; id: string }
  | { type: 'terminate'; reason: LimitKind }
  /** The tool call may reach the agent. */
  | { type: 'allow-tool'; id: string }
  /**
   * The real input left room for only `outputTokens` more output: the proxy ends the response
   * there (it reports `cut`), since the request was sent with a higher ceiling.
   */
  | { type: 'truncate'; id: string; outputTokens: number; limit: LimitKind }
  | { type: 'settled'; id: string; costNano: Nano; spentNano: Nano };

export interface StepResult {
  state: BudgetState;
  actions: BudgetAction[];
}
