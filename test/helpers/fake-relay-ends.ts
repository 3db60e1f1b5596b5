// The two ends of a relayed response, in memory, and the budget's say, for the relays' unit tests.
import { EventEmitter } from 'node:events';
import type { RelayHooks, ToolVerdict } from '../../src/proxy/relay-shared.js';

/** The upstream response, in memory: the test pushes its bytes and ends it. */
export class FakeUpstream extends EventEmitter {
  statusCode = 200;
  constructor(readonly headers: Record<string, string> = { 'content-type': 'text/event-stream' }) {
    super();
  }
  complete = false;
  paused = false;
  destroyed = false;
  private closed = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    this.close();
    return this;
  }
  send(text: string, pieces = 1): void {
    const bytes = Buffer.from(text);
    const size = Math.ceil(bytes.length / pieces);
    for (let at = 0; at < bytes.length; at += size) this.emit('data', bytes.subarray(at, at + size));
  }
  /** Ends complete, with 'close' only (as a test of the fallback; Node sends 'end' first). */
  finish(): void {
    this.complete = true;
    this.close();
  }
  /** Ends complete as Node does: 'end' now, 'close' later (a turn of the event loop or more). */
  end(): void {
    this.complete = true;
    this.emit('end');
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

/** The client's response, in memory: what was written, and how it ended. */
export class FakeResponse extends EventEmitter {
  status = 0;
  /** Bytes as written: a character may be split between two writes. */
  readonly writes: Buffer[] = [];
  /** What write() was given, the same objects (a relay's copies show as buffers of their own). */
  readonly given: (Buffer | string)[] = [];
  ended = false;
  destroyed = false;
  /** cork() calls not yet undone; and, for each write and the end, whether it was held by one. */
  corks = 0;
  readonly corked: boolean[] = [];
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.corks--;
  }
  writeHead(status: number): this {
    this.status = status;
    return this;
  }
  write(data: Buffer | string): boolean {
    this.corked.push(this.corks > 0);
    this.given.push(data);
    this.writes.push(Buffer.from(data));
    return true;
  }
  get writableEnded(): boolean {
    return this.ended;
  }
  /** How many times end() was called: a relay must end its response once. */
  endCalls = 0;
  end(data?: Buffer | string): void {
    this.corked.push(this.corks > 0);
    if (data !== undefined) this.writes.push(Buffer.from(data));
    this.ended = true;
    this.endCalls++;
  }
  destroy(): void {
    this.destroyed = true;
  }
  get body(): string {
    return Buffer.concat(this.writes).toString();
  }
}

const allowAll = (): ToolVerdict => ({ allowed: true });

/** The budget's hooks with room for everything: every tool call allowed, nothing cut. */
export function relayHooks(allowToolCall: RelayHooks['allowToolCall'] = allowAll): RelayHooks {
  return {
    allowToolCall,
    holdBodies: false,
    inputKnown: () => null,
    allowance: () => 1_000_000,
    sentCeiling: null,
    outputTokens: (chars) => Math.ceil(chars / 4),
    now: () => 0,
    extend: () => ({ allowedOut: 1_000_000, short: null }),
    cut: () => 'capped: cut',
    yieldRoom: () => 'capped: yield',
  };
}
