// What the proxy's request handlers share: where a request goes and what the proxy was built with.
import type { GuardFacts } from '../budget/guards.js';
import type { ToolStep } from '../budget/tool-steps.js';
import type { BudgetKeeper } from '../budget/keeper.js';
import type { Nano } from '../budget/money.js';
import type { WindowInfo } from '../budget/types.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { ProxyNotice } from '../model/notices.js';
import type { ConversationMemory } from './conversations.js';
import type { Upstream } from './forward.js';
import type { InputEstimator } from './input-estimator.js';
import type { OutputEstimator } from './output-estimator.js';
import type { Provider } from './providers/types.js';
import type { ReserveMode } from './request-pricing.js';
import type { AllowedRoute } from './routes.js';

/** A resolved destination: the provider whose wire format a request uses, and where it goes. */
export interface Route {
  provider: Provider;
  upstream: Upstream;
}

/**
 * What one base URL path segment serves: providers sharing a base URL (OpenAI Chat and
 * Responses) are told apart by path; the first one answers for paths none of them meters.
 */
export interface Mount {
  providers: readonly Provider[];
  upstream: Upstream;
  /**
   * Where requests paid by a subscription login go instead, when the user named no upstream of
   * their own (Codex with a ChatGPT login talks to ChatGPT's backend, not api.openai.com).
   */
  subscriptionUpstream?: Upstream;
  /** Puts a request path in the form the upstream expects (see mounts.ts pathFixer). */
  fixPath?: (pathAndQuery: string) => string;
}

export interface ProxyDeps {
  /** Random path segment every request must start with; anything else gets 403. */
  secret: string;
  mounts: ReadonlyMap<string, Mount>;
  keeper: BudgetKeeper;
  prices: PriceBook;
  estimator: InputEstimator;
  /** Output tokens from streamed characters, learned from this run's responses. */
  outputs: OutputEstimator;
  /** The run's recent requests and their bills, to price the requests that continue them. */
  conversations: ConversationMemory;
  now: () => Date;
  notify: (notice: ProxyNotice) => void;
  rules: ProxyRules;
  /** Daily/weekly ceilings shared by every run of the ledger, when the policy sets any. */
  window?: WindowGate;
  /** Makes an admitted request durable (the ledger's reservation row), committed in the turn it is sent in; never fails. */
  reserve?: (id: string, provider: string) => Promise<void>;
  /** Reads what each request's history shows of retry loops and files read (the run's guards). */
  guards?: { facts(steps: readonly ToolStep[]): GuardFacts };
}

/** Holds each request's reservation against the ceilings shared across runs (the ledger's). */
export interface WindowGate {
  /** Rejects when the ledger fails, or once `signal` aborts (the client left while it waited). */
  hold(id: string, nano: Nano, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; window: WindowInfo; pause: boolean }>;
  /** The request ended without a charge; a settled one is released once its cost is recorded. */
  release(id: string): void;
  /**
   * Resolves when the window may have room again: at its reset, or sooner to look again (later
   * with each `attempt`), or as soon as `signal` aborts.
   */
  waitForRoom(window: WindowInfo, attempt: number, signal?: AbortSignal): Promise<void>;
}

/** Request rules from the run's policy. */
export interface ProxyRules {
  /** Tools removed from every request (by name, or type for built-in tools). */
  restrictedTools: ReadonlySet<string>;
  /** Shell commands that move the agent into its verification phase. */
  verifyPatterns: readonly RegExp[];
  /** How input is priced before a request is sent: cache-aware, or every token at its highest rate. */
  reserve: ReserveMode;
  /** Routes passed through unmetered though capped would refuse them (`allowRoutes`). */
  allowRoutes: readonly AllowedRoute[];
  /** Whether batches are reserved in full and sent, or refused. */
  batches: 'reserve' | 'refuse';
}
