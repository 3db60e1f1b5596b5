import type { IncomingHttpHeaders } from 'node:http';
import { HEAD_END, readHeaderLines } from './http-lines.js';

/** A response head as node:http gives it: names in lower case, repeats joined as Node joins them. */
export interface ResponseHead {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
}

/** Where a parsed response goes, in order: one head, its body in pieces (views), one end. */
export interface ResponseSink {
  head(head: ResponseHead): void;
  body(piece: Buffer): void;
  /** The message is whole; `reusable` when the connection may carry another request. */
  end(reusable: boolean): void;
}

/** The upstream broke HTTP/1.1; the connection cannot be trusted any further. */
export class UpstreamProtocolError extends Error {
  readonly code = 'HPE_INVALID_RESPONSE';
}

/** Larger heads are refused, as node:http refuses them (its limit is 16 KB; providers send ~2 KB). */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 4096;

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

/**
 * Reads one HTTP/1.1 response from a connection's bytes: the head, then the body framed by
 * content-length, chunked transfer coding (handed on decoded, as views of the bytes read) or the
 * connection's close. Interim 1xx heads are skipped. Anything malformed throws
 * UpstreamProtocolError: capped forwards what it can prove it read, never a guess.
 */
export class ResponseParser {
  private state: State = 'head';
  private held: Buffer | null = null;
  private remaining = 0;
  private line = '';
  private reusable = true;
  /** Bytes that came after the end of the message (the connection must not be reused). */
  extra = 0;

  constructor(
    private readonly sink: ResponseSink,
    /** A HEAD request's response has no body whatever its head says. */
    private readonly headRequest = false,
  ) {}

  get done(): boolean {
    return this.state === 'done';
  }

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case 'head':
          at = this.readHead(chunk, at);
          break;
        case 'length': {
          const take = Math.min(this.remaining, chunk.length - at);
          this.sink.body(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take));
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) this.finish();
          break;
        }
        case 'until-close':
          this.sink.body(at === 0 ? chunk : chunk.subarray(at));
          at = chunk.length;
          break;
        case 'chunk-size':
        case 'trailers':
          at = this.line === '' ? this.readLineInPlace(chunk, at) : this.readLine(chunk, at);
          break;
        case 'chunk-data': {
          const take = Math.min(this.remaining, chunk.length - at);
          this.sink.body(chunk.subarray(at, at + take));
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.state = 'chunk-end';
            this.remaining = 2;
          }
          break;
        }
        case 'chunk-end': {
          // The CRLF after a chunk's data, possibly split across reads.
          const want = this.remaining === 2 ? 13 : 10;
          if (chunk[at] !== want) throw new UpstreamProtocolError('the upstream sent a chunk whose data did not end with CRLF');
          at++;
          if (--this.remaining === 0) this.state = 'chunk-size';
          break;
        }
        case 'done':
          this.extra += chunk.length - at;
          return;
      }
    }
  }

  /**
   * The connection ended. A body read to the close is then whole (and the connection spent);
   * anything else was cut off: false.
   */
  eof(): boolean {
    if (this.state === 'until-close') {
      this.reusable = false;
      this.finish();
    }
    return this.state === 'done';
  }

  private finish(): void {
    this.state = 'done';
    this.sink.end(this.reusable);
  }

  private readHead(chunk: Buffer, at: number): number {
    let bytes: Buffer;
    let from: number;
    if (this.held === null) {
      bytes = at === 0 ? chunk : chunk.subarray(at);
      from = 0;
    } else {
      from = Math.max(0, this.held.length - 3);
      bytes = Buffer.concat([this.held, chunk.subarray(at)]);
    }
    const end = bytes.indexOf(HEAD_END, from);
    if (end < 0) {
      if (bytes.length > MAX_HEAD_BYTES) throw new UpstreamProtocolError(`the upstream's response head is over ${MAX_HEAD_BYTES / 1024} KB`);
      this.held = bytes; // a view: a socket's reads are never reused
      return chunk.length;
    }
    const consumedBefore = this.held === null ? 0 : this.held.length;
    this.held = null;
    this.parseHead(bytes.toString('latin1', 0, end));
    // Offset in `chunk` just past the head's blank line.
    return at + (end + 4 - consumedBefore);
  }

  private parseHead(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: (.*))?$/.exec(lines[0]!);
    if (!m) throw new UpstreamProtocolError(`the upstream's status line is not HTTP/1.x: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const status = Number(m[2]);
    const fields = readHeaderLines(lines, 1);
    if (typeof fields === 'string') throw new UpstreamProtocolError(`the upstream sent ${fields}`);
    const { headers, rawHeaders, contentLength: length } = fields;
    if (status < 200) {
      // 100 Continue, 103 Early Hints: another head follows. 101 needs the upgrade path.
      if (status === 101) throw new UpstreamProtocolError('the upstream switched protocols on a plain request');
      return;
    }
    const head: ResponseHead = { status, statusMessage: m[3] ?? '', headers, rawHeaders };
    const connection = String(headers.connection ?? '').toLowerCase();
    this.reusable = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const te = headers['transfer-encoding'];
    this.sink.head(head);
    if (this.headRequest || status === 204 || status === 304) {
      this.finish();
      return;
    }
    if (te !== undefined) {
      // A body framed both ways is read by its coding, and the connection is not trusted again.
      if (headers['content-length'] !== undefined) this.reusable = false;
      if (/(^|,)\s*chunked\s*$/i.test(te)) this.state = 'chunk-size';
      else {
        this.reusable = false;
        this.state = 'until-close';
      }
      return;
    }
    if (length === null) {
      this.reusable = false;
      this.state = 'until-close';
    } else if (length === 0) this.finish();
    else {
      this.remaining = length;
      this.state = 'length';
    }
  }

  /**
   * A chunk-size line or the blank line that ends the trailers, read from the bytes where it is
   * whole in this read (nearly always): no string made. Anything else goes to readLine.
   */
  private readLineInPlace(chunk: Buffer, at: number): number {
    if (this.state === 'trailers') {
      if (chunk[at] !== 13 || chunk[at + 1] !== 10) return this.readLine(chunk, at);
      this.finish();
      return at + 2;
    }
    let n = 0;
    let i = at;
    for (; i < chunk.length && i - at <= 12; i++) {
      const digit = hexDigit(chunk[i]!);
      if (digit < 0) break;
      n = n * 16 + digit;
    }
    if (i === at || i - at > 12 || chunk[i] !== 13 || chunk[i + 1] !== 10) return this.readLine(chunk, at);
    this.chunkSize(n);
    return i + 2;
  }

  private chunkSize(n: number): void {
    if (n === 0) this.state = 'trailers';
    else {
      this.remaining = n;
      this.state = 'chunk-data';
    }
  }

  private readLine(chunk: Buffer, at: number): number {
    const nl = chunk.indexOf(10, at);
    const piece = chunk.toString('latin1', at, nl < 0 ? chunk.length : nl);
    if (this.line.length + piece.length > MAX_CHUNK_LINE) throw new UpstreamProtocolError('the upstream sent a chunk-size or trailer line over 4 KB');
    if (nl < 0) {
      this.line += piece;
      return chunk.length;
    }
    let line = this.line + piece;
    this.line = '';
    if (!line.endsWith('\r')) throw new UpstreamProtocolError('the upstream ended a chunked line without CRLF');
    line = line.slice(0, -1);
    if (this.state === 'trailers') {
      if (line === '') this.finish();
      return nl + 1;
    }
    const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
    if (!size) throw new UpstreamProtocolError(`the upstream sent a bad chunk size: ${JSON.stringify(line.slice(0, 40))}`);
    this.chunkSize(parseInt(size[1]!, 16));
    return nl + 1;
  }
}

/** The value of an ASCII hex digit, -1 for any other byte. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}
