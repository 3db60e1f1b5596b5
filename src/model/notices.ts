import type { Nano } from '../budget/money.js';
import type { Phase, TokenUsage, WindowInfo } from '../budget/types.js';

/** Things the proxy tells the rest of capped (reporter, record); never prompt text or keys. */
export type ProxyNotice =
  | {
      type: 'settled';
      id: string;
      model: string;
      costNano: Nano;
      usage: TokenUsage;
      estimated: boolean;
      clamped: number | null;
      /** A retry of an earlier attempt, by the client's own marker. */
      retry: boolean;
      /** Charged its whole reservation (a batch, billed after the run), not from read usage. */
      atReservation?: true;
      /** The provider module that read it (anthropic, openai-chat, openai-responses, gemini). */
      provider: string;
      phase: Phase;
      /** What its input was reserved at before it was sent, and what it was billed at. */
      reservedInputNano: Nano;
      billedInputNano: Nano;
      /** The upstream produced more output than the ceiling the request was sent with. */
      overrun: boolean;
    }
  /** The provider's exact input count was asked for before deciding a request (`ok`: it answered). */
  | { type: 'counted'; ok: boolean }
  | { type: 'refused'; message: string }
  | { type: 'upstream-error'; message: string }
  /** A request was paid by a subscription login: its spend is the API-equivalent price. */
  | { type: 'subscription' }
  /** Restricted tools were taken out of a request. */
  | { type: 'tools-removed'; names: string[] }
  /** A request waits for a daily/weekly window to have room (--on-limit pause). */
  | { type: 'window-wait'; window: WindowInfo }
  /** A request was sent to another model than it named (escalation denied, downgrade). */
  | { type: 'model-changed'; from: string; to: string };
