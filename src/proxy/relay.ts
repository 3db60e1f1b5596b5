import type http from 'node:http';
import type { Meter, MeterReading, Provider } from './providers/types.js';
import { responseHeaders } from './forward.js';
import { OutputBound, type OutputBoundHooks } from './output-bound.js';
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

import type { ToolVerdict } from '../budget/keeper.js';

export type { ToolVerdict };

export interface RelayHooks extends OutputBoundHooks {
  /**
   * Asks the budget whether one more tool call may reach the agent: refused ends the response;
   * `hold` (nobody at the keyboard) keeps the rest of the response back until it resolves.
   */
  allowToolCall(reading: MeterReading): ToolVerdict | { hold: Promise<ToolVerdict> };
  /** Buffer non-streamed bodies so a tool call over the cap can be withheld (an actions cap is set). */
  holdBodies: boolean;
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
    const bound = new OutputBound(hooks);
    /** The budget ends the response (not a withheld tool call): the upstream must stop generating. */
    let cutting = false;
    /** Reading after the client's stream ended is over: nothing more is metered. */
    let drained = false;
    const overLimit = (): string | null => {
      const cut = bound.check(meter.reading());
      if (cut !== null) cutting = true;
      return cut;
    };
    if (!clientGone()) res.writeHead(upstream.statusCode ?? 502, responseHeaders(upstream.headers));

    // While a tool call waits for a person (idle), the events after it wait here, unread.
    let holding = false;
    const waiting: Buffer[] = [];

    /**
     * After the client's stream ended: meters what the upstream still sends, forwarding nothing,
     * until its final usage arrives (so the charge is exact) or its output passes what the request
     * was reserved for; then closes it.
     */
    const drain = (raws: Buffer[], last: boolean): void => {
      for (const [k, raw] of raws.entries()) {
        if (drained) return;
        const events = reader.push(raw);
        if (last && k === raws.length - 1) events.push(...reader.end());
        for (const e of events) meter.event(e);
        const reading = meter.reading();
        const seen = Math.max(reading.usage.output ?? 0, hooks.outputTokens(reading.outputChars));
        if (reading.complete || seen > r.allowedOut) {
          drained = true;
          upstream.destroy();
        }
      }
      if (last && raws.length === 0 && !drained) for (const e of reader.end()) meter.event(e);
    };

    /** Ends the client's stream with capped's refusal; `rest` (read, not yet metered) is drained. */
    const block = (message: string, out: Buffer[], rest: Buffer[] = []): void => {
      blocked = true;
      // Each forwarded event keeps its own bytes; the error capped adds goes in its own write, as
      // some clients (js-genai) only recognise an error that arrives as a chunk of its own.
      if (out.length > 0) send(res, clientGone, Buffer.concat(out), upstream);
      send(res, clientGone, Buffer.from(provider.streamError(message, bound.retryable)), upstream);
      if (!clientGone()) res.end();
      if (cutting) return void upstream.destroy();
      drain(rest, false);
      // Nothing is forwarded any more, so nothing waits for the client (backpressure, a hold).
      upstream.resume();
    };

    /** Forwards what a settled hold let through, then carries on with the events that waited. */
    const release = (verdict: ToolVerdict, forward: Buffer | null, remaining: number): void => {
      holding = false;
      if (blocked) return;
      if (!verdict.allowed) return block(verdict.message, [], waiting.splice(0));
      const out: Buffer[] = forward ? [forward] : [];
      const gate = gateTools(meter, remaining, hooks) ?? overLimit();
      if (gate !== null && typeof gate === 'string') return block(gate, out, waiting.splice(0));
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
        if (typeof gate === 'string') return block(gate, out, raws.slice(k + 1));
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
      const raws = framer.push(chunk);
      if (blocked) return drain(raws, false);
      if (holding) waiting.push(...raws);
      else process(raws, false);
    });
    upstream.on('close', () => {
      // Cut off while a tool call waited for its answer: nothing more is forwarded.
      if (holding) {
        blocked = true;
        if (!clientGone()) res.destroy();
      }
      const rest = framer.end();
      if (blocked) {
        drain(rest ? [rest] : [], true);
      } else {
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
