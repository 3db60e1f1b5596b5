import type { LimitKind } from '../budget/types.js';
import type { MeterReading } from './providers/types.js';

/** What the output bound asks of the budget and the run, for one response. */
export interface OutputBoundHooks {
  /**
   * The provider reported the real input mid-stream: returns the output-token count at which the
   * response must end because the real input left less room than the estimate, or null.
   */
  inputKnown(reading: MeterReading): { outputTokens: number; limit: LimitKind } | null;
  /** The output tokens the response may produce now (its reservation's allowance). */
  allowance(): number;
  /** The output ceiling the request was sent with, when it had one: a compliant upstream stops there. */
  sentCeiling: number | null;
  /** Output tokens estimated from streamed characters (this run's learned ratio). */
  outputTokens(chars: number): number;
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /**
   * The response produced `produced` output tokens, reaching its allowance: asks the budget for
   * more. Returns the new allowance, and when it is not enough why (see the engine's `extended`).
   */
  extend(produced: number): { allowedOut: number; short: null | 'wait' | LimitKind };
  /** The response reached its allowance at a limit of the run: returns the refusal message to end it with. */
  cut(limit: LimitKind): string;
  /**
   * The response reached its allowance only because other requests in flight hold the room:
   * returns the message to end it with, as an error its client may retry.
   */
  yieldRoom(): string;
}

/**
 * How long a provider may take to notice a response was ended: tokens it generates meanwhile are
 * billed, so a response that has to stop short ends this much earlier at its current rate.
 */
const CANCEL_LAG_MS = 250;

/**
 * Estimated output this far past the ceiling a request was sent with is taken as an upstream that
 * ignores it (below it, the estimate's own error could be the cause).
 */
const OVER_CEILING = 1.1;

/**
 * Output tokens still to come after a cut, at the rate `produced` tokens took `elapsedMs`: at
 * most half of the allowance, so a response always gets half of what it may produce.
 */
function cancelLead(produced: number, elapsedMs: number, allowance: number): number {
  const rate = produced / Math.max(elapsedMs, 50);
  return Math.min(Math.floor(allowance / 2), Math.ceil(rate * CANCEL_LAG_MS));
}

/**
 * Keeps one streamed response within the output its reservation pays for, whatever the upstream
 * does with the ceiling it was sent: checks the real input once it is known, and whether the
 * output reached its allowance; then asks for more, and says to end the response when no more
 * can be had (with capped's refusal at a run limit, or a retryable error when only other
 * requests in flight hold the room).
 */
export class OutputBound {
  private inputSeen = false;
  private allowance: number;
  private firstOutputAt = 0;
  /** The message to end with is one the client may retry (room held by others). */
  retryable = false;

  constructor(private readonly hooks: OutputBoundHooks) {
    this.allowance = hooks.allowance();
  }

  /** The message to end the response with now, or null while it may go on. */
  check(reading: Readonly<MeterReading>): string | null {
    // The final usage arrived: nothing is left to bound, and the response settles next (with the
    // input it reports), so its reservation is not adjusted to that input first.
    if (reading.complete) return null;
    const { hooks } = this;
    if (!this.inputSeen && reading.usage.input !== null) {
      this.inputSeen = true;
      this.allowance = hooks.inputKnown(reading)?.outputTokens ?? hooks.allowance();
    }
    const produced = Math.max(reading.usage.output ?? 0, hooks.outputTokens(reading.outputChars));
    if (produced > 0 && this.firstOutputAt === 0) this.firstOutputAt = hooks.now();
    // A compliant upstream stops at the ceiling it was sent. Only a response that may go past
    // its allowance (it was lowered after sending, or the upstream ignores the ceiling) is ended
    // early by what is still on its way when it is ended.
    const ceiling = hooks.sentCeiling;
    const suspect = ceiling === null || this.allowance < ceiling || produced > ceiling * OVER_CEILING;
    const lead = suspect && produced > 0 ? cancelLead(produced, hooks.now() - this.firstOutputAt, this.allowance) : 0;
    if (produced + lead < this.allowance) return null;
    const more = hooks.extend(produced + lead);
    this.allowance = more.allowedOut;
    if (produced + lead < this.allowance) return null;
    if (more.short === 'wait') {
      this.retryable = true;
      return hooks.yieldRoom();
    }
    return hooks.cut(more.short ?? 'usd');
  }
}
