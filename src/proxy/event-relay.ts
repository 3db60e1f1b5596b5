import { responseHeaders } from './forward.js';
import { OutputBound } from './output-bound.js';
import { ClientWrites } from './client-writes.js';
import { gateTools, send, whenUpstreamDone, type Held, type Relay, type RelayOutcome, type ToolVerdict } from './relay-shared.js';
import { SseFramer } from './sse-framer.js';
import { EMPTY_BYTES } from './shared-bytes.js';
import { SseReader, type SseEvent } from './sse-reader.js';
import type { MeterReading, RawEventStream } from './providers/types.js';

/**
 * Where a relayed event stream is:
 * - forwarding: each event is metered and forwarded as soon as it is whole;
 * - holding: a tool call waits for a person (nobody at the keyboard); later events wait, unread;
 * - refused: capped ended the client's stream; what the upstream still sends is metered only;
 * - drained: the upstream was closed after the refusal (final usage read, or past the reservation).
 */
type State = 'forwarding' | 'holding' | 'refused' | 'drained';

/** What a raw event metered from its bytes completes (shared: never added to). */
const NO_EVENTS: readonly SseEvent[] = [];

/**
 * Relays one SSE response event by event, exact bytes, as each event completes; a tool call the
 * budget refuses is never forwarded: the stream ends there with an error event in the provider's
 * shape.
 */
export class EventRelay {
  private readonly framer = new SseFramer();
  private readonly reader = new SseReader();
  private readonly bound: OutputBound;
  private state: State = 'forwarding';
  private bytes = 0;
  /** The budget ends the response (not a withheld tool call): the upstream must stop generating. */
  private cutting = false;
  /** Raw events that arrived while a tool call was held. */
  private readonly waiting: Buffer[] = [];
  /** The pass-through event streaming on before it is whole, read by the meter as it passes (see passOn). */
  private streaming: RawEventStream | null = null;
  /** Of that event: bytes pushed to its meter, and bytes of them forwarded (what it let go of). */
  private streamed = { pushed: 0, sent: 0 };
  /** The event not yet whole was looked at and must wait to be whole. */
  private mustWait = false;
  /** The response's first whole event was seen (only it may lead: Meter.lead). */
  private opened = false;
  private readonly isHolding = (): boolean => this.state === 'holding';
  /** Everything forwarded to the client goes through here, one write a turn. */
  private readonly out: ClientWrites;

  constructor(private readonly r: Relay) {
    this.bound = new OutputBound(r.hooks);
    this.out = new ClientWrites(r, this.isHolding);
  }

  run(): Promise<RelayOutcome> {
    const { upstream, res, clientGone } = this.r;
    return new Promise((resolve) => {
      if (!clientGone()) res.writeHead(upstream.statusCode ?? 502, responseHeaders(upstream.headers));
      upstream.on('data', (chunk: Buffer) => this.onData(chunk));
      whenUpstreamDone(upstream, () => resolve(this.onClose()));
    });
  }

  private get ended(): boolean {
    return this.state === 'refused' || this.state === 'drained';
  }

  private onData(chunk: Buffer): void {
    this.bytes += chunk.length;
    const raws = this.framer.push(chunk);
    if (this.streaming && this.framer.skippingEvent) {
      // More of the event streaming on (only in 'forwarding': nothing decides while it goes on).
      this.streaming.push(chunk);
      this.letGo(chunk);
      return;
    }
    if (raws.length > 0) this.mustWait = false;
    if (this.ended) this.drain(raws, false);
    else if (this.state === 'holding') this.waiting.push(...raws);
    else {
      this.forward(raws, false);
      if (this.state === 'forwarding') this.passOn();
    }
  }

  /**
   * Sends on what has arrived of an event not yet whole when its name says the meter only reads
   * it (Provider.passThroughEvents): a multi-megabyte delta streams through instead of waiting to
   * be whole. The framer lets go of its bytes and the meter reads them as they pass (issue 11:
   * joining them once whole copied every byte again); the reading is complete once the event is,
   * before anything after it is decided.
   */
  private passOn(): void {
    if (this.streaming || this.mustWait || this.framer.heldLength() === 0) return;
    const name = eventName(this.framer.head(64));
    if (name === undefined) return; // its first line is not all there yet
    const stream = name !== null && this.r.provider.passThroughEvents?.has(name) ? this.r.meter.rawStream?.() : undefined;
    if (stream === undefined) {
      this.mustWait = true;
      return;
    }
    // Nothing of it goes before its first bytes show the layout it is read by (a name alone
    // could put anything after it); too few to tell yet: look again when more arrive.
    const held = this.framer.heldPieces();
    for (const piece of held) stream.push(piece);
    const started = stream.started();
    if (started !== true) {
      this.mustWait = started === false;
      return;
    }
    this.framer.skipHeld();
    this.streaming = stream;
    this.streamed = { pushed: 0, sent: 0 };
    this.opened = true;
    for (const piece of held) this.letGo(piece);
  }

  /** Forwards what the streaming event's meter lets go of in `piece`, the next piece pushed to it. */
  private letGo(piece: Buffer): void {
    const at = this.streamed.pushed;
    this.streamed.pushed += piece.length;
    const from = Math.max(0, this.streamed.sent - at);
    const to = Math.min(this.streaming!.allowed(), this.streamed.pushed) - at;
    if (to <= from) return;
    this.out.write(from === 0 && to === piece.length ? piece : piece.subarray(from, to));
    this.streamed.sent = at + to;
  }

  /**
   * Meters the event that streamed on, now whole: from its pieces, or else read the usual way.
   * Returns its bytes still held (from the end of its text on): they go like a whole event's, once
   * its reading is allowed.
   */
  private endStreaming(rest: Buffer, last: boolean): Buffer | null {
    const stream = this.streaming!;
    if (rest.length > 0) {
      stream.push(rest);
      this.letGo(rest);
    }
    this.streaming = null;
    if (!stream.end()) for (const e of this.reader.push(stream.bytes())) this.r.meter.event(e);
    if (last) for (const e of this.reader.end()) this.r.meter.event(e);
    const held = stream.held(this.streamed.sent);
    return held.length > 0 ? held : null;
  }

  private onClose(): RelayOutcome {
    const { res } = this.r;
    // The last events and the stream's end go out as one write.
    res.cork();
    try {
      return this.closed();
    } finally {
      res.uncork();
    }
  }

  private closed(): RelayOutcome {
    const { upstream, res, clientGone, meter } = this.r;
    // What was forwarded this turn goes out before the response ends or is cut.
    this.out.flush();
    // Cut off while a tool call waited for its answer: nothing more is forwarded.
    if (this.state === 'holding') {
      this.state = 'refused';
      if (!clientGone()) res.destroy();
    }
    // A pass-through event cut off mid-way: the framer holds none of it, the stream all of it.
    const rest = this.streaming ? EMPTY_BYTES : this.framer.end();
    if (this.ended) {
      this.drain(rest ? [rest] : [], true);
    } else {
      if (rest) this.forward([rest], true);
      else for (const e of this.reader.end()) meter.event(e);
      this.out.flush();
      if (!clientGone() && !this.ended) {
        if (upstream.complete) res.end();
        else res.destroy();
      }
    }
    // Usage read in full stays exact even when capped ended the stream after it (Gemini sends the
    // final usage in the same chunk as a withheld tool call).
    return { status: upstream.statusCode ?? 502, bytes: this.bytes, reading: meter.reading() };
  }

  /** The events raw event `k` completes (the stream's last one also flushes the reader). */
  private read(raws: Buffer[], k: number, last: boolean): readonly SseEvent[] {
    const raw = raws[k]!;
    // A plain content delta is metered from its bytes: no UTF-8 decoding, no JSON.parse.
    const events = this.reader.idle() && this.r.meter.rawEvent?.(raw) ? NO_EVENTS : this.reader.push(raw);
    return last && k === raws.length - 1 ? [...events, ...this.reader.end()] : events;
  }

  /**
   * Meters whole raw events and forwards them; stops at a refused tool call, or at a held one,
   * keeping the rest back.
   */
  private forward(raws: Buffer[], last: boolean): void {
    const { meter, hooks } = this.r;
    // Tool calls counted so far, then after each event.
    let toolCalls = meter.peek().toolCalls;
    for (let k = 0; k < raws.length; k++) {
      let forward: Buffer | null;
      const continued = k === 0 && this.streaming !== null;
      const lead = continued ? null : this.lead(raws[k]!);
      if (continued) {
        // The rest of a pass-through event already started: its text went on as it came.
        forward = this.endStreaming(raws[0]!, last && raws.length === 1);
      } else if (lead !== null) {
        // Sent before it is metered; what its reading decides (a cut) comes after it.
        this.out.write(lead);
        this.meterOne(raws, k, last);
        forward = null;
      } else {
        forward = this.meterOne(raws, k, last);
      }
      const seen = meter.peek().toolCalls;
      const gate = gateTools(meter, seen - toolCalls, hooks) ?? this.overLimit(meter.peek());
      toolCalls = seen;
      if (typeof gate === 'string') return this.block(gate, raws.slice(k + 1));
      if (gate !== null) {
        this.waiting.push(...raws.slice(k + 1));
        return this.hold(gate, forward);
      }
      if (forward) this.out.write(forward);
    }
  }

  /**
   * What of `raw`, the response's first whole event, may lead (Meter.lead), judged by its bytes.
   * Not by its name: clients act on the data's own `type`, which the name does not vouch for.
   */
  private lead(raw: Buffer): Buffer | null {
    if (this.opened) return null;
    this.opened = true;
    return this.r.meter.lead?.(raw) ?? null;
  }

  /** Meters raw event `k`: what reaches the client of it (its own bytes, a replacement, nothing). */
  private meterOne(raws: Buffer[], k: number, last: boolean): Buffer | null {
    let forward: Buffer | null = raws[k]!;
    for (const e of this.read(raws, k, last)) {
      const verdict = this.r.meter.event(e);
      if (verdict === 'drop') forward = null;
      else if (typeof verdict === 'object') forward = Buffer.from(verdict.replace);
    }
    return forward;
  }

  private overLimit(reading: Readonly<MeterReading>): string | null {
    const cut = this.bound.check(reading);
    if (cut !== null) this.cutting = true;
    return cut;
  }

  /** Holds the rest of the stream back (`forward`, the held event, too) until a person answers. */
  private hold(gate: Held, forward: Buffer | null): void {
    this.state = 'holding';
    this.r.upstream.pause();
    // What came before the held call reaches the client now: nothing follows it for a while.
    this.out.flush();
    void gate.hold.then((verdict) => this.release(verdict, forward, gate.remaining));
  }

  /** Forwards what a settled hold let through, then carries on with the events that waited. */
  private release(verdict: ToolVerdict, forward: Buffer | null, remaining: number): void {
    if (this.ended) return;
    this.state = 'forwarding';
    if (!verdict.allowed) return this.block(verdict.message, this.waiting.splice(0));
    if (forward) this.out.write(forward);
    const gate = gateTools(this.r.meter, remaining, this.r.hooks) ?? this.overLimit(this.r.meter.peek());
    if (typeof gate === 'string') return this.block(gate, this.waiting.splice(0));
    // The held event has gone out: the next hold must not send it a second time.
    if (gate !== null) return this.hold(gate, null);
    this.forward(this.waiting.splice(0), false);
    if (this.state === 'forwarding') this.r.upstream.resume();
  }

  /** Ends the client's stream with capped's refusal; `rest` (read, not yet metered) is drained. */
  private block(message: string, rest: Buffer[] = []): void {
    const { provider, res, upstream, clientGone } = this.r;
    this.state = 'refused';
    // Each forwarded event keeps its own bytes; the error capped adds goes in its own write, as
    // some clients (js-genai) only recognise an error that arrives as a chunk of its own.
    this.out.flush();
    send(this.r, Buffer.from(provider.streamError(message, this.bound.retryable)));
    if (!clientGone()) res.end();
    if (this.cutting) {
      // The upstream sent these and bills them: they are metered though capped stops reading here.
      for (let k = 0; k < rest.length; k++) for (const e of this.read(rest, k, false)) this.r.meter.event(e);
      return void upstream.destroy();
    }
    this.drain(rest, false);
    // Nothing is forwarded any more, so nothing waits for the client (backpressure, a hold).
    upstream.resume();
  }

  /**
   * After the client's stream ended: meters what the upstream still sends, forwarding nothing,
   * until its final usage arrives (so the charge is exact) or its output passes what the request
   * was reserved for; then closes it.
   */
  private drain(raws: Buffer[], last: boolean): void {
    const { meter, hooks, upstream } = this.r;
    for (let k = 0; k < raws.length; k++) {
      if (this.state === 'drained') return;
      for (const e of this.read(raws, k, last)) meter.event(e);
      const reading = meter.peek();
      const seen = Math.max(reading.usage.output ?? 0, hooks.outputTokens(reading.outputChars));
      if (reading.complete || seen > this.r.allowedOut) {
        this.state = 'drained';
        upstream.destroy();
      }
    }
    if (last && raws.length === 0 && this.state !== 'drained') for (const e of this.reader.end()) meter.event(e);
  }
}

/**
 * The name on an SSE event's first line (`event: NAME`): null when the first line is something
 * else, undefined while it is not whole yet.
 */
function eventName(head: Buffer): string | null | undefined {
  const text = head.toString('latin1');
  if (!'event:'.startsWith(text.slice(0, 6)) || (text.length >= 6 && !text.startsWith('event:'))) return null;
  const end = text.search(/[\r\n]/);
  // No line end within the first 64 bytes: no name capped lets through is that long.
  if (end === -1) return text.length < 64 ? undefined : null;
  return text.slice(6, end).trim();
}
