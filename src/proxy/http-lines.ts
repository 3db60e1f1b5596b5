import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** The blank line that ends a message head. */
export const HEAD_END = Buffer.from('\r\n\r\n');

/** A header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Headers node:http keeps the first of when repeated (IncomingMessage#_addHeaderLine). */
const FIRST_ONLY = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** A message's header lines read as node:http reads them: names in lower case, repeats joined its way. */
export interface HeaderFields {
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  /** The body's length by its content-length fields (repeats agree), null without one. */
  contentLength: number | null;
  /** How many content-length fields there were. */
  lengthFields: number;
}

/** A control character other than a tab (a lone CR or LF among them), which Node's parser refuses in a value. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Reads the header lines of a head (`lines` from `from` on), or says what is wrong with them:
 * folded lines (obsolete) and names that are not tokens are what request smuggling is made of,
 * and a value may hold no control character but a tab, as Node's parser (llhttp) has it: a value
 * it would refuse could not be written on to the agent either.
 */
export function readHeaderLines(lines: readonly string[], from: number): HeaderFields | string {
  const rawHeaders: string[] = [];
  const headers: IncomingHttpHeaders = {};
  let contentLength: number | null = null;
  let lengthFields = 0;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0));
    if (!TOKEN.test(name)) return `a malformed header line: ${JSON.stringify(line.slice(0, 80))}`;
    const value = line.slice(colon + 1).trim();
    if (CONTROL.test(value)) return `a header value with a control character: ${name}`;
    rawHeaders.push(name, value);
    const lower = name.toLowerCase();
    addHeader(headers, lower, value);
    if (lower !== 'content-length') continue;
    // Two lengths that differ, or one that is not a number, are what smuggling is made of.
    if (!/^\d{1,15}$/.test(value)) return `a bad content-length: ${JSON.stringify(value.slice(0, 40))}`;
    if (contentLength !== null && contentLength !== Number(value)) return 'two different content-lengths';
    contentLength = Number(value);
    lengthFields++;
  }
  return { headers, rawHeaders, contentLength, lengthFields };
}

function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  const had = headers[name];
  if (had === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
  else if (name === 'set-cookie') (had as string[]).push(value);
  else if (!FIRST_ONLY.has(name)) headers[name] = `${had as string}${name === 'cookie' ? '; ' : ', '}${value}`;
}

/**
 * `headers` as head lines, but for the names `skip` leaves out (given in lower case). A value with
 * CR, LF or NUL, or a name that is not a token, throws (header injection).
 */
export function headerLines(headers: OutgoingHttpHeaders, skip: (lowerName: string) => boolean): string {
  let lines = '';
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || skip(name.toLowerCase())) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const text = String(v);
      if (/[\r\n\0]/.test(text) || !TOKEN.test(name)) throw new TypeError(`capped: the header ${JSON.stringify(name)} has a value that cannot be sent`);
      lines += `${name}: ${text}\r\n`;
    }
  }
  return lines;
}
