import { EventEmitter } from 'node:events';
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { headerLines } from './http-lines.js';

/**
 * What the proxy answers the agent through: node:http's ServerResponse, or capped's own
 * SocketResponse. Only what the proxy uses; a pipe's destination too.
 */
export interface AgentResponse extends NodeJS.WritableStream {
  writeHead(status: number, headers?: OutgoingHttpHeaders): this;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  /** Every byte of the answer was handed to the connection ('finish' came). */
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  destroy(): void;
  /** Holds writes until uncork(), to go out as one. */
  cork(): void;
  uncork(): void;
}

type Callback = () => void;
type WriteCallback = (err?: Error | null) => void;
const LAST_CHUNK = '0\r\n\r\n';

/** Headers that, given by the handler, decide the framing and what node:http would add. */
const FRAMING = new Set(['date', 'connection', 'content-length', 'transfer-encoding']);

let dateSecond = -1;
let dateText = '';
/** The Date header's value, made once a second (node:http caches it the same way). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/**
 * An HTTP/1.1 answer written straight to the agent's connection, framed and headed as node:http's
 * ServerResponse frames it (content-length when the handler gives one, else chunked; Date,
 * Connection and Keep-Alive added unless given), with its events in the same order: 'drain' when
 * the connection drains, 'finish' once every byte is handed to it, then 'close'; or 'close' alone
 * when the connection goes first (writableFinished stays false). The head goes with the first
 * piece of the body, in one write.
 */
export class SocketResponse extends EventEmitter implements AgentResponse {
  statusCode = 200;
  writable = true;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  private head: string | null = null;
  private headWritten = false;
  private chunked = false;
  private bodyless = false;
  private closed = false;
  /** Sends not yet handed to the connection, what waits for them, and the first failure. */
  private pending = 0;
  private waiting: WriteCallback[] = [];
  private failed: Error | null = null;
  private readonly wrote = (err?: Error | null): void => {
    if (err) this.failed ??= err;
    if (--this.pending > 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const cb of waiting) cb(this.failed);
  };
  /** The connection closes after this answer (the agent asked, or the handler said so). */
  closing: boolean;

  constructor(
    private readonly socket: Socket,
    /** The agent asked to close the connection after this answer. */
    close: boolean,
    /** Keep-Alive's timeout in seconds, as node:http announces it. */
    private readonly keepAliveS: number,
    /** Called once the answer is whole on the connection: the next request may be read. */
    private readonly done: (res: SocketResponse) => void,
  ) {
    super();
    this.closing = close;
  }

  get headersSent(): boolean {
    return this.head !== null;
  }

  writeHead(status: number, headers: OutgoingHttpHeaders = {}): this {
    return this.makeHead(status, headers, null);
  }

  /** `length`: the whole body's, when end() comes before any head (node:http then sends Content-Length). */
  private makeHead(status: number, headers: OutgoingHttpHeaders, length: number | null): this {
    if (this.head !== null) return this;
    this.statusCode = status;
    this.bodyless = status === 204 || status === 304 || status < 200;
    // The handler's headers in its order, then what node:http adds when they are missing.
    let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n${headerLines(headers, () => false)}`;
    const given = new Map<string, string>();
    for (const name in headers) {
      const lower = name.toLowerCase();
      if (FRAMING.has(lower) && headers[name] !== undefined) given.set(lower, String(headers[name]));
    }
    if (!given.has('date')) text += `Date: ${httpDate()}\r\n`;
    const connection = given.get('connection');
    if (connection === undefined) text += this.closing ? 'Connection: close\r\n' : `Connection: keep-alive\r\nKeep-Alive: timeout=${this.keepAliveS}\r\n`;
    else if (/\bclose\b/i.test(connection)) this.closing = true;
    const coding = given.get('transfer-encoding');
    if (length !== null) text += `Content-Length: ${length}\r\n`;
    else if (coding !== undefined) this.chunked = /\bchunked\b/i.test(coding);
    else if (!given.has('content-length') && !this.bodyless) {
      this.chunked = true;
      text += 'Transfer-Encoding: chunked\r\n';
    }
    this.head = `${text}\r\n`;
    return this;
  }

  write(chunk: string | Uint8Array, encodingOrCallback?: BufferEncoding | Callback, callback?: Callback): boolean {
    const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    // After the end or the connection: nothing to write to, and nothing worth pausing for.
    if (this.writableEnded || this.destroyed) return true;
    return this.send(toBuffer(chunk, encodingOrCallback), false, cb);
  }

  end(chunk?: string | Uint8Array | Callback, encodingOrCallback?: BufferEncoding | Callback, callback?: Callback): this {
    if (this.writableEnded || this.destroyed) return this;
    const cb = [chunk, encodingOrCallback, callback].find((a): a is Callback => typeof a === 'function');
    const data = chunk === undefined || typeof chunk === 'function' ? null : toBuffer(chunk, encodingOrCallback);
    this.writableEnded = true;
    this.writable = false;
    if (this.head === null) this.makeHead(this.statusCode, {}, this.bodyless ? null : (data?.length ?? 0));
    this.send(data, true, (err) => {
      // The connection failed under the last write: the answer is not whole ('close' says so).
      if (err) return this.gone();
      this.writableFinished = true;
      cb?.();
      this.emit('finish');
      this.emit('close');
      this.done(this);
    });
    return this;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  /** Ends the connection under the answer; 'close' follows in a later tick, as node:http's does. */
  destroy(): void {
    if (this.destroyed) return;
    this.socket.destroy();
    process.nextTick(() => this.gone());
    this.destroyed = true;
    this.writable = false;
  }

  /** The connection closed before the answer was whole. */
  gone(): void {
    if (this.closed || this.writableFinished) return;
    this.closed = true;
    this.destroyed = true;
    this.writable = false;
    this.emit('close');
  }

  /** Head (the first time), the piece framed, and the last chunk at the end: one write of all. */
  private send(data: Buffer | null, last: boolean, cb: WriteCallback | undefined): boolean {
    if (this.head === null) this.writeHead(this.statusCode);
    const pieces: (string | Buffer)[] = [];
    if (!this.headWritten) {
      this.headWritten = true;
      pieces.push(this.head!);
    }
    if (data !== null && data.length > 0 && !this.bodyless) {
      if (this.chunked) pieces.push(`${data.length.toString(16)}\r\n`, data, '\r\n');
      else pieces.push(data);
    }
    if (last && this.chunked) pieces.push(LAST_CHUNK);
    if (pieces.length === 0) {
      // Nothing left to write (an end after a content-length body): no empty write, a syscall for
      // nothing; the callback comes once what was written is.
      if (cb) this.afterWrites(cb);
      return !this.socket.writableNeedDrain;
    }
    const socket = this.socket;
    if (pieces.length > 1) socket.cork();
    let ok = true;
    // A socket's writes complete in order: the last piece's callback stands for them all.
    this.pending++;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      const done = i === pieces.length - 1 ? this.wrote : undefined;
      ok = typeof piece === 'string' ? socket.write(piece, 'latin1', done) : socket.write(piece, done);
    }
    if (pieces.length > 1) socket.uncork();
    if (cb) this.afterWrites(cb);
    return ok;
  }

  /** Calls `cb` once every write made so far has been handed to the connection (or failed). */
  private afterWrites(cb: WriteCallback): void {
    if (this.pending === 0) process.nextTick(cb, this.failed);
    else this.waiting.push(cb);
  }
}

function toBuffer(chunk: string | Uint8Array, encoding: BufferEncoding | Callback | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
