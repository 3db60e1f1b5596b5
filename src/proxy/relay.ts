import type http from 'node:http';
import type { LimitKind } from '../budget/types.js';
import type { Meter, MeterReading, Provider } from './providers/types.js';
import { responseHeaders } from './forward.js';
import { ResponseTap } from './response-tap.js';
import { SseFramer } from './sse-framer.js';
import { SseReader } from './sse-reader.js';

/** One response being relayed: the provider's wire format, its meter, both ends, the budget's say. */
export interface Relay {
  provider: Provider;
  meter: Meter;
  upstream: http.IncomingMessage;
  res: http.ServerResponse;
  hooks: RelayHooks;
  clientGone: () => boolean;
}

/** How a relayed response ended, for settling its cost. */
export interface RelayOutcome {
  status: number;
  reading: MeterReading;
  /** Raw bytes received from the upstream. */
  bytes: number;
}

import type { ToolVerdict } from '../budget/keeper.js';

export type { ToolVerdict };

export interface RelayHooks {
  /**
   * Asks the budget whether one more tool call may reach the agent: refused ends the response;
   * `hold` (nobody at the keyboard) keeps the rest of the response back until it resolves.
   */
  allowToolCall(reading: MeterReading): ToolVerdict | { hold: Promise<ToolVerdict> };
  /** Buffer non-streamed bodies so a tool call over the cap can be withheld (an actions cap is set). */
  holdBodies: boolean;
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
 * Relays one upstream response to the agent while its meter reads a copy. SSE is forwarded event
 * by event, exact bytes, as each event completes; a tool call the budget refuses is never
 * forwarded: the stream ends there with an error event in the provider's shape.
 */
export function relayResponse(r: Relay): Promise<RelayOutcome> {
  const { hooks, upstream } = r;
  const status = upstream.statusCode ?? 502;
  const type = String(upstream.headers['content-type'] ?? '');
  const encoding = String(upstream.headers['content-encoding'] ?? '').trim().toLowerCase();
  const sse = type.includes('text/event-stream') && (encoding === '' || encoding === 'identity');
  if (sse) return relayEvents(r);
  if (hooks.holdBodies && status < 300) return relayHeldBody(r);
  return relayChunks(r);
}

function send(res: http.ServerResponse, clientGone: () => boolean, data: Buffer | string, upstream: http.IncomingMessage, held = (): boolean => false): void {
  if (clientGone() || data.length === 0) return;
  // Only the client's own backpressure slows the upstream (and a held tool call, see relayEvents).
  if (!res.write(data)) {
    upstream.pause();
    res.once('drain', () => {
      if (!held()) upstream.resume();
    });
  }
}

/** A copy of a non-SSE body for the meter (decoded on the side when compressed). */
function tapOf(r: Relay): ResponseTap {
  return new ResponseTap(r.meter, String(r.upstream.headers['content-type'] ?? ''), String(r.upstream.headers['content-encoding'] ?? ''));
}

/** The outcome of a response read whole, or cut off (then its usage is not final). */
function outcomeOf(r: Relay, bytes: number): RelayOutcome {
  const reading = r.meter.reading();
  return { status: r.upstream.statusCode ?? 502, bytes, reading: r.upstream.complete ? reading : { ...reading, complete: false } };
}

type Gate = null | string | { hold: Promise<ToolVerdict>; remaining: number };

/**
 * Asks the budget about each of `count` new tool calls: null when all may pass, the refusal
 * message, or the first one held (and how many more are still to ask about after it).
 */
function gateTools(meter: Meter, count: number, hooks: RelayHooks): Gate {
  for (let n = 0; n < count; n++) {
    const verdict = hooks.allowToolCall(meter.reading());
    if ('hold' in verdict) return { hold: verdict.hold, remaining: count - n - 1 };
    if (!verdict.allowed) return verdict.message;
  }
  return null;
}

/** For bodies read whole: every tool call is asked about at once, a hold counting as refused. */
function gateAll(meter: Meter, hooks: RelayHooks): string | null {
  const gate = gateTools(meter, meter.reading().toolCalls, hooks);
  if (gate !== null && typeof gate === 'object') return 'capped: this response was withheld while nobody was at the keyboard.';
  return gate;
}

function relayEvents(r: Relay): Promise<RelayOutcome> {
  const { provider, meter, upstream, res, hooks, clientGone } = r;
  return new Promise((resolve) => {
    const framer = new SseFramer();
    const reader = new SseReader();
    let bytes = 0;
    let blocked = false;
    let inputSeen = false;
    let allowance = hooks.allowance();
    let firstOutputAt = 0;
    /** The error capped ends the stream with is one the client may retry (room held by others). */
    let retryable = false;
    /**
     * Checks the real input once it is known, and whether the output reached its allowance: then
     * asks for more, and ends the response when no more can be had. capped enforces the bound
     * itself, so an upstream that ignores the output ceiling cannot pass the cap.
     */
    const overLimit = (): string | null => {
      const reading = meter.reading();
      if (!inputSeen && reading.usage.input !== null) {
        inputSeen = true;
        allowance = hooks.inputKnown(reading)?.outputTokens ?? hooks.allowance();
      }
      if (reading.complete) return null;
      const produced = Math.max(reading.usage.output ?? 0, hooks.outputTokens(reading.outputChars));
      if (produced > 0 && firstOutputAt === 0) firstOutputAt = hooks.now();
      // A compliant upstream stops at the ceiling it was sent. Only a response that may go past
      // its allowance (it was lowered after sending, or the upstream ignores the ceiling) is ended
      // early by what is still on its way when it is ended.
      const ceiling = hooks.sentCeiling;
      const suspect = ceiling === null || allowance < ceiling || produced > ceiling * OVER_CEILING;
      const lead = suspect && produced > 0 ? cancelLead(produced, hooks.now() - firstOutputAt, allowance) : 0;
      if (produced + lead < allowance) return null;
      const more = hooks.extend(produced + lead);
      allowance = more.allowedOut;
      if (produced + lead < allowance) return null;
      if (more.short === 'wait') {
        retryable = true;
        return hooks.yieldRoom();
      }
      return hooks.cut(more.short ?? 'usd');
    };
    if (!clientGone()) res.writeHead(upstream.statusCode ?? 502, responseHeaders(upstream.headers));

    // While a tool call waits for a person (idle), the events after it wait here, unread.
    let holding = false;
    const waiting: Buffer[] = [];

    /** Ends the response with capped's refusal; the provider stops generating. */
    const block = (message: string, out: Buffer[]): void => {
      blocked = true;
      // Each forwarded event keeps its own bytes; the error capped adds goes in its own write, as
      // some clients (js-genai) only recognise an error that arrives as a chunk of its own.
      if (out.length > 0) send(res, clientGone, Buffer.concat(out), upstream);
      send(res, clientGone, Buffer.from(provider.streamError(message, retryable)), upstream);
      if (!clientGone()) res.end();
      upstream.destroy();
    };

    /** Forwards what a settled hold let through, then carries on with the events that waited. */
    const release = (verdict: ToolVerdict, forward: Buffer | null, remaining: number): void => {
      holding = false;
      if (blocked) return;
      if (!verdict.allowed) return block(verdict.message, []);
      const out: Buffer[] = forward ? [forward] : [];
      const gate = gateTools(meter, remaining, hooks) ?? overLimit();
      if (gate !== null && typeof gate === 'string') return block(gate, out);
      if (gate !== null) return hold(gate, forward, out);
      const rest = waiting.splice(0);
      process(rest, false, out);
      if (!holding && !blocked) upstream.resume();
    };

    const hold = (gate: { hold: Promise<ToolVerdict>; remaining: number }, forward: Buffer | null, out: Buffer[]): void => {
      holding = true;
      upstream.pause();
      if (out.length > 0) send(res, clientGone, Buffer.concat(out), upstream, () => holding);
      void gate.hold.then((verdict) => release(verdict, forward, gate.remaining));
    };

    /**
     * Meters whole raw events and forwards them (with what `out` holds already); stops at a
     * refused tool call, or at a held one, keeping the rest back.
     */
    const process = (raws: Buffer[], last: boolean, out: Buffer[] = []): void => {
      for (let k = 0; k < raws.length; k++) {
        const raw = raws[k]!;
        const events = reader.push(raw);
        if (last && k === raws.length - 1) events.push(...reader.end());
        const before = meter.reading().toolCalls;
        let forward: Buffer | null = raw;
        for (const e of events) {
          const verdict = meter.event(e);
          if (verdict === 'drop') forward = null;
          else if (typeof verdict === 'object') forward = Buffer.from(verdict.replace);
        }
        const gate = gateTools(meter, meter.reading().toolCalls - before, hooks) ?? overLimit();
        if (typeof gate === 'string') return block(gate, out);
        if (gate !== null) {
          waiting.push(...raws.slice(k + 1));
          return hold(gate, forward, out);
        }
        if (forward) out.push(forward);
      }
      if (out.length > 0) send(res, clientGone, out.length === 1 ? out[0]! : Buffer.concat(out), upstream, () => holding);
    };

    upstream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (blocked) return;
      const raws = framer.push(chunk);
      if (holding) waiting.push(...raws);
      else process(raws, false);
    });
    upstream.on('close', () => {
      // Cut off while a tool call waited for its answer: nothing more is forwarded.
      if (holding) {
        blocked = true;
        if (!clientGone()) res.destroy();
      }
      if (!blocked) {
        const rest = framer.end();
        if (rest) process([rest], true);
        else for (const e of reader.end()) meter.event(e);
        if (!clientGone() && !blocked) {
          if (upstream.complete) res.end();
          else res.destroy();
        }
      }
      const reading = meter.reading();
      // Usage read in full stays exact even when capped ended the stream after it (Gemini sends the
      // final usage in the same chunk as a withheld tool call).
      resolve({ status: upstream.statusCode ?? 502, bytes, reading });
    });
  });
}

function relayHeldBody(r: Relay): Promise<RelayOutcome> {
  const { provider, meter, upstream, res, hooks, clientGone } = r;
  return new Promise((resolve) => {
    const tap = tapOf(r);
    const chunks: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => {
      tap.push(chunk);
      chunks.push(chunk);
    });
    upstream.on('close', () => {
      void tap.end().then(() => {
        const refusal = gateAll(meter, hooks);
        if (!clientGone()) {
          if (refusal !== null) {
            const error = provider.error(provider.limitStatus, refusal);
            res.writeHead(error.status, { 'content-type': 'application/json', 'x-should-retry': 'false' });
            res.end(error.body);
          } else if (!upstream.complete) {
            res.destroy();
          } else {
            res.writeHead(upstream.statusCode ?? 502, responseHeaders(upstream.headers));
            res.end(Buffer.concat(chunks));
          }
        }
        resolve(outcomeOf(r, tap.bytes));
      });
    });
  });
}

function relayChunks(r: Relay): Promise<RelayOutcome> {
  const { meter, upstream, res, hooks, clientGone } = r;
  return new Promise((resolve) => {
    const tap = tapOf(r);
    if (!clientGone()) res.writeHead(upstream.statusCode ?? 502, responseHeaders(upstream.headers));
    upstream.on('data', (chunk: Buffer) => {
      tap.push(chunk);
      send(res, clientGone, chunk, upstream);
    });
    upstream.on('close', () => {
      if (!clientGone()) {
        if (upstream.complete) res.end();
        else res.destroy();
      }
      void tap.end().then(() => {
        // Counted only: without a held body the tool calls have already reached the agent.
        gateAll(meter, hooks);
        resolve(outcomeOf(r, tap.bytes));
      });
    });
  });
}
