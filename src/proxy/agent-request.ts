import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { readHeaderLines } from './http-lines.js';

/** A request from the agent: node:http's IncomingMessage, or one capped read itself (BufferedRequest). */
export interface AgentRequest extends Readable {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** node:http refuses larger heads (431); such a request is left to it. */
export const MAX_OWN_HEAD_BYTES = 16 * 1024;
/**
 * Bodies up to this size are read whole before the request is handled (metered bodies are read
 * whole anyway); a larger one (a file upload) goes through node:http, which streams it.
 */
export const MAX_OWN_BODY_BYTES = 16 * 1024 * 1024;

/** A request head capped reads itself, and how long its body is. */
export interface RequestHead {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  bodyLength: number;
  /** The agent asked for the connection to close after the answer. */
  close: boolean;
}

const REQUEST_LINE = /^(GET|POST|PUT|PATCH|DELETE) (\/[\x21-\x7e]*) HTTP\/1\.1$/;

/**
 * The head of a plain request (HTTP/1.1, an everyday method, origin-form path, a Host, its body
 * framed by content-length, at most MAX_OWN_BODY_BYTES), or null for anything else: upgrades,
 * chunked or unframed bodies, `Expect`, HTTP/1.0, and every malformed head. Those are handed to
 * node:http with the connection, which answers them as it always has (a 400 for a malformed one).
 */
export function readRequestHead(text: string): RequestHead | null {
  const lines = text.split('\r\n');
  const line = REQUEST_LINE.exec(lines[0]!);
  if (!line) return null;
  const fields = readHeaderLines(lines, 1);
  if (typeof fields === 'string') return null;
  const { headers, rawHeaders } = fields;
  if (headers.host === undefined || headers['transfer-encoding'] !== undefined || headers.expect !== undefined || headers.upgrade !== undefined) return null;
  const connection = (headers.connection ?? '').toLowerCase();
  if (connection.includes('upgrade')) return null;
  // node:http refuses a repeated content-length, even one that agrees (a 400).
  if (fields.lengthFields > 1) return null;
  const bodyLength = fields.contentLength ?? 0;
  if (bodyLength > MAX_OWN_BODY_BYTES) return null;
  return { method: line[1]!, url: line[2]!, headers, rawHeaders, bodyLength, close: /\bclose\b/.test(connection) };
}

/** A request whose body capped has read whole: readable as a stream too, for the routes that pipe it. */
export class BufferedRequest extends Readable implements AgentRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly httpVersion = '1.1';
  private pushed = false;

  constructor(
    head: RequestHead,
    readonly body: Buffer,
  ) {
    super();
    this.method = head.method;
    this.url = head.url;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
  }

  override _read(): void {
    if (!this.pushed && this.body.length > 0) this.push(this.body);
    this.pushed = true;
    this.push(null);
  }
}
