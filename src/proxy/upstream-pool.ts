import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { monotonicMs } from '../monotonic-clock.js';
import { headerLines } from './http-lines.js';
import { ResponseParser, type ResponseHead, type ResponseSink } from './response-parser.js';

/** Opens one connection to the upstream (TCP, or TLS with its server name). */
export type Dial = () => Socket;

/** Sockets at once per upstream, as the http.Agent this replaces allowed. */
const MAX_SOCKETS = 64;
/** Node's agent frees a socket this long before the server's keep-alive timeout says it closes. */
const KEEP_ALIVE_MARGIN_MS = 1000;
/** TCP keep-alive probes on pooled sockets after this long idle, as http.Agent sets them. */
const TCP_KEEP_ALIVE_MS = 1000;

/** What the relays read of an upstream response: the part of http.IncomingMessage they use. */
export interface UpstreamBody extends EventEmitter {
  readonly statusCode?: number | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly complete: boolean;
  pause(): this;
  resume(): this;
  destroy(): this;
}

/** One request sent to the upstream: 'response' (an UpstreamResponse) or 'error', once. */
export interface UpstreamCall extends EventEmitter {
  on(event: 'response', listener: (response: UpstreamResponse) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  /** Abandons the request: its connection is closed, nothing more is emitted. */
  destroy(): void;
}

function hangUp(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

/** Failures that came after the whole request had gone to the upstream (see requestWasSent). */
const afterSending = new WeakSet<Error>();

/**
 * Whether a request's 'error' came after the request was written whole to its connection: the
 * upstream may have read it, generated and billed it (a dropped connection, an answer that was
 * not HTTP), where an error before it (refused, no such host, a bad certificate) sent nothing.
 */
export function requestWasSent(err: Error): boolean {
  return afterSending.has(err);
}

/**
 * An upstream response as it is read. Like http.IncomingMessage: nothing flows until something
 * reads it (a 'data' listener, or resume()); then 'data' pieces (views of what the socket read),
 * 'end' when whole, and 'close'. Cut off: 'error' (only when listened for, as Node does) and
 * 'close', `complete` false. pause() holds pieces back, and the socket's reads, until resume().
 */
export class UpstreamResponse extends EventEmitter implements UpstreamBody {
  complete = false;
  private held: Buffer[] = [];
  /** null until something reads it, then whether it flows (false: paused), as a Readable's. */
  private flowing: boolean | null = null;
  private ending: 'end' | 'cut' | 'destroyed' | null = null;
  private closed = false;
  private flushQueued = false;

  constructor(
    readonly statusCode: number,
    readonly statusMessage: string,
    readonly headers: IncomingHttpHeaders,
    readonly rawHeaders: string[],
    private readonly conn: Connection,
    private readonly call: Call,
  ) {
    super();
    this.on('newListener', (event) => {
      if (event === 'data' && this.flowing === null) this.resume();
    });
  }

  pause(): this {
    this.flowing = false;
    // Once whole, the connection may already carry another request.
    if (this.ending === null) this.conn.socket.pause();
    return this;
  }

  resume(): this {
    this.flowing = true;
    this.queueFlush();
    return this;
  }

  destroy(): this {
    if (this.closed) return this;
    this.conn.abandon(this.call);
    this.finish('destroyed');
    return this;
  }

  /** @internal a piece of body from the connection */
  piece(data: Buffer): void {
    if (this.flowing && this.held.length === 0) this.emit('data', data);
    else this.held.push(data);
  }

  /** @internal the message was read whole, or cut off, or given up */
  finish(how: 'end' | 'cut' | 'destroyed'): void {
    if (this.ending !== null) return;
    this.ending = how;
    if (how === 'end') {
      this.complete = true;
      if (this.flowing && this.held.length === 0) this.close();
    } else {
      this.held = [];
      this.close();
    }
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    process.nextTick(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.held.length > 0 && this.flowing) this.emit('data', this.held.shift());
    if (!this.flowing) return;
    if (this.ending !== null) this.close();
    else this.conn.socket.resume();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ending === 'end') this.emit('end');
    else if (this.ending === 'cut' && this.listenerCount('error') > 0) this.emit('error', hangUp('aborted'));
    process.nextTick(() => this.emit('close'));
  }
}

class Call extends EventEmitter implements UpstreamCall {
  conn: Connection | null = null;
  settled = false;
  /** The request is written whole to the connection (its last write's callback came, no error). */
  sent = false;
  constructor(
    readonly head: string,
    readonly body: Buffer | null,
    readonly headRequest: boolean,
  ) {
    super();
  }
  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (this.sent) afterSending.add(err);
    this.emit('error', err);
  }
  destroy(): void {
    this.settled = true;
    this.conn?.abandon(this);
  }
}

/** One pooled connection and the exchange it carries, if any. */
class Connection implements ResponseSink {
  private call: Call | null = null;
  private parser: ResponseParser | null = null;
  private response: UpstreamResponse | null = null;
  idleSince = 0;
  /** How long it may wait idle (the server's keep-alive timeout, less the margin). */
  idleLimit = Infinity;
  /** Closed and no longer counted by the pool. */
  gone = false;

  constructor(
    readonly socket: Socket,
    private readonly pool: UpstreamPool,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEP_ALIVE_MS);
    socket.on('data', (data: Buffer) => this.read(data));
    socket.on('error', (err) => this.cut(err));
    socket.on('end', () => this.cut(null));
    socket.on('close', () => this.cut(null));
  }

  get busy(): boolean {
    return this.call !== null;
  }

  send(call: Call): void {
    this.call = call;
    call.conn = this;
    this.parser = new ResponseParser(this, call.headRequest);
    this.socket.ref();
    this.socket.resume();
    const written = (err?: Error | null): void => {
      if (!err) call.sent = true;
    };
    if (call.body && call.body.length > 0) {
      this.socket.cork();
      this.socket.write(call.head, 'latin1');
      this.socket.write(call.body, written);
      this.socket.uncork();
    } else this.socket.write(call.head, 'latin1', written);
  }

  head(h: ResponseHead): void {
    const keepAlive = /\btimeout=(\d+)/.exec(String(h.headers['keep-alive'] ?? ''));
    this.idleLimit = keepAlive ? Number(keepAlive[1]) * 1000 - KEEP_ALIVE_MARGIN_MS : Infinity;
    const call = this.call!;
    const response = new UpstreamResponse(h.status, h.statusMessage, h.headers, h.rawHeaders, this, call);
    this.response = response;
    call.settled = true;
    call.emit('response', response);
  }

  body(piece: Buffer): void {
    this.response?.piece(piece);
  }

  end(reusable: boolean): void {
    const response = this.response;
    this.detach();
    this.pool.release(this, reusable);
    response?.finish('end');
  }

  /** `call` or its response was given up: the connection cannot carry another. */
  abandon(call: Call): void {
    if (this.call !== call) return;
    this.detach();
    this.pool.release(this, false);
  }

  private detach(): void {
    this.call = null;
    this.parser = null;
    this.response = null;
  }

  private read(data: Buffer): void {
    const parser = this.parser;
    if (!parser) {
      // Bytes nobody asked for: the connection is out of step.
      this.pool.release(this, false);
      return;
    }
    try {
      parser.feed(data);
    } catch (err) {
      this.cut(err as Error);
      return;
    }
    if (parser.extra > 0) this.pool.release(this, false);
  }

  /** The connection failed or closed: whole if its body runs to the close, else cut off. */
  private cut(err: Error | null): void {
    const { call, parser, response } = this;
    if (err === null && parser?.eof()) return; // read to the close: end() ran
    this.detach();
    this.pool.release(this, false);
    if (response) response.finish('cut');
    else call?.fail(err ?? hangUp('socket hang up'));
  }
}

/**
 * Requests to one upstream over kept-alive HTTP/1.1 connections, read by capped's own parser.
 * In place of http.request + http.Agent for requests whose body capped holds whole: Node's
 * client costs 0.05–0.14 ms a request more on this path (issue 11), and its response stream
 * re-frames every read. Up to 64 connections; more requests wait for one.
 */
export class UpstreamPool {
  private readonly idle: Connection[] = [];
  /** Every connection open, busy or idle. */
  private readonly all = new Set<Connection>();
  private readonly waiting: Call[] = [];
  private closed = false;

  constructor(
    private readonly dial: Dial,
    /** The Host header: the upstream URL's host (and port). */
    private readonly host: string,
  ) {}

  request(method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer | null): UpstreamCall {
    const call = new Call(requestHead(method, path, this.host, headers, body?.length ?? null), body, method === 'HEAD');
    if (this.closed) process.nextTick(() => call.fail(hangUp('the upstream connections were closed')));
    else this.take(call);
    return call;
  }

  /** Connections open and idle, for tests. */
  get counts(): { open: number; idle: number; waiting: number } {
    return { open: this.all.size, idle: this.idle.length, waiting: this.waiting.length };
  }

  /**
   * Ends every connection, busy ones too (as http.Agent#destroy does): a response still
   * streaming is cut off, so the run can end without waiting for it (it settles as cut off).
   */
  close(): void {
    this.closed = true;
    for (const call of this.waiting.splice(0)) call.fail(hangUp('the upstream connections were closed'));
    for (const conn of [...this.all]) conn.socket.destroy();
  }

  /** @internal a connection is free again, or spent */
  release(conn: Connection, reusable: boolean): void {
    if (conn.gone) return;
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    if (reusable && !this.closed && !conn.socket.destroyed) {
      const next = this.nextWaiting();
      if (next) return conn.send(next);
      conn.idleSince = monotonicMs();
      conn.socket.resume(); // a response paused at its end: an idle socket must still see the close
      conn.socket.unref();
      this.idle.push(conn);
      return;
    }
    conn.gone = true;
    this.all.delete(conn);
    conn.socket.destroy();
    const next = this.nextWaiting();
    if (next) this.take(next);
  }

  private nextWaiting(): Call | undefined {
    let next = this.waiting.shift();
    while (next?.settled) next = this.waiting.shift();
    return next;
  }

  private take(call: Call): void {
    const now = monotonicMs();
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) {
      if (conn.socket.destroyed || now - conn.idleSince > conn.idleLimit) {
        this.release(conn, false);
        continue;
      }
      return conn.send(call);
    }
    if (this.all.size >= MAX_SOCKETS) {
      this.waiting.push(call);
      return;
    }
    let socket: Socket;
    try {
      socket = this.dial();
    } catch (err) {
      process.nextTick(() => call.fail(err as Error));
      return;
    }
    const conn = new Connection(socket, this);
    this.all.add(conn);
    conn.send(call);
  }
}

/**
 * The request line, Host first (as node:http writes it), the other headers and the body's length
 * (from the body itself, never a header's say). A value with CR, LF or NUL, or a name that is not
 * a token, is refused (header injection).
 */
export function requestHead(method: string, path: string, host: string, headers: OutgoingHttpHeaders, bodyLength: number | null = null): string {
  if (!/^[A-Z]+$/.test(method) || /[\s\0]/.test(path) || /[\s\0]/.test(host)) {
    throw new TypeError(`capped: cannot send ${JSON.stringify(method)} ${JSON.stringify(path)} to ${JSON.stringify(host)} upstream`);
  }
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  head += headerLines(headers, (name) => name === 'host' || name === 'content-length' || name === 'transfer-encoding');
  if (bodyLength !== null) head += `content-length: ${bodyLength}\r\n`;
  return `${head}\r\n`;
}
