import type { AgentResponse } from './agent-response.js';
import type { UpstreamBody } from './upstream-pool.js';
import type { ToolVerdict } from '../budget/keeper.js';
import type { Meter, MeterReading, Provider } from './providers/types.js';
import type { OutputBoundHooks } from './output-bound.js';

export type { ToolVerdict };

/** One response being relayed: the provider's wire format, its meter, both ends, the budget's say. */
export interface Relay {
  provider: Provider;
  meter: Meter;
  upstream: UpstreamBody;
  res: AgentResponse;
  hooks: RelayHooks;
  /** Output tokens the request was reserved for: reading past a withheld tool call stops beyond it. */
  allowedOut: number;
  clientGone: () => boolean;
}

/** How a relayed response ended, for settling its cost. */
export interface RelayOutcome {
  status: number;
  reading: MeterReading;
  /** Raw bytes received from the upstream. */
  bytes: number;
}

export interface RelayHooks extends OutputBoundHooks {
  /**
   * Asks the budget whether one more tool call may reach the agent: refused ends the response;
   * `hold` (nobody at the keyboard) keeps the rest of the response back until it resolves.
   */
  allowToolCall(reading: MeterReading): ToolVerdict | { hold: Promise<ToolVerdict> };
  /** Buffer non-streamed bodies so a tool call over the cap can be withheld (an actions cap is set). */
  holdBodies: boolean;
}

/** Writes to the client; only the client's own backpressure (or a held tool call) pauses the upstream. */
export function send(r: Pick<Relay, 'res' | 'clientGone' | 'upstream'>, data: Buffer | string, held = (): boolean => false): void {
  if (r.clientGone() || data.length === 0) return;
  if (!r.res.write(data)) {
    r.upstream.pause();
    // Resumed when the client drains, or when it goes away: a client gone while the upstream was
    // paused sends no 'drain', and the rest of the response must still be read for its usage.
    const resume = (): void => {
      r.res.off('drain', resume);
      r.res.off('close', resume);
      if (!held()) r.upstream.resume();
    };
    r.res.once('drain', resume);
    r.res.once('close', resume);
  }
}

/**
 * Calls `done` once, when the upstream response ends (every byte read: `complete`) or closes
 * without ending (cut off). Not at 'close' alone: it comes a turn of the event loop or more after
 * 'end', and the agent's response would wait for it (about 90 µs a request, issue 11).
 */
export function whenUpstreamDone(upstream: UpstreamBody, done: () => void): void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    done();
  };
  upstream.once('end', once);
  upstream.once('close', once);
}

export type Held = { hold: Promise<ToolVerdict>; remaining: number };
/** null: every tool call may pass; a string: the refusal; or the first one held. */
export type Gate = null | string | Held;

/**
 * Asks the budget about each of `count` new tool calls: null when all may pass, the refusal
 * message, or the first one held (and how many more are still to ask about after it).
 */
export function gateTools(meter: Meter, count: number, hooks: RelayHooks): Gate {
  for (let n = 0; n < count; n++) {
    const verdict = hooks.allowToolCall(meter.reading());
    if ('hold' in verdict) return { hold: verdict.hold, remaining: count - n - 1 };
    if (!verdict.allowed) return verdict.message;
  }
  return null;
}
