import { isAscii } from 'node:buffer';

/**
 * The text length (in UTF-16 code units, as `string.length` counts) of an Anthropic content delta,
 * read from the raw SSE event without decoding it to a string or parsing its JSON (issue 11: a
 * long answer is almost all such events, and decoding and parsing them was most of the proxy's
 * work on a big stream). Null for any event not exactly in Anthropic's own shape, which is then
 * read the ordinary way:
 *
 *   event: content_block_delta
 *   data: {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"…"}}
 *
 * (or a `thinking_delta` with `thinking`, an `input_json_delta` with `partial_json`).
 */
export function deltaTextLength(raw: Buffer): number | null {
  if (!startsWith(raw, PREFIX, 0)) return null;
  let i = PREFIX.length;
  const digits = i;
  while (i < raw.length && raw[i]! >= 0x30 && raw[i]! <= 0x39) i++;
  if (i === digits || i - digits > 6) return null;
  if (!startsWith(raw, DELTA, i)) return null;
  i += DELTA.length;
  const kind = KINDS.find((k) => startsWith(raw, k, i));
  if (!kind) return null;
  const start = i + kind.length;
  const end = raw.length - SUFFIX.length;
  if (end < start || !startsWith(raw, SUFFIX, end)) return null;
  return jsonStringLength(raw, start, end);
}

const PREFIX = Buffer.from('event: content_block_delta\ndata: {"type":"content_block_delta","index":');
const DELTA = Buffer.from(',"delta":{"type":"');
const KINDS = ['text_delta","text":"', 'thinking_delta","thinking":"', 'input_json_delta","partial_json":"'].map((k) => Buffer.from(k));
const SUFFIX = Buffer.from('"}}\n\n');

function startsWith(raw: Buffer, part: Buffer, at: number): boolean {
  return at + part.length <= raw.length && raw.compare(part, 0, part.length, at, at + part.length) === 0;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
/** Characters that may follow a backslash in a JSON string (besides `u`). */
const SIMPLE_ESCAPES = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));

/**
 * The decoded length of the JSON string body raw[start, end): each escape is one code unit, each
 * character its UTF-16 length. Null when it is not a well-formed JSON string body (an unescaped
 * quote, a bad escape, a raw control character in non-ASCII text). Escapes and quotes are found
 * natively (indexOf); an ASCII body is counted without a byte loop, so a raw control character
 * there (a tab, say, from a misbehaving upstream) is counted as one character rather than refused.
 */
function jsonStringLength(raw: Buffer, start: number, end: number): number | null {
  let length = isAscii(raw.subarray(start, end)) ? end - start : utf16Length(raw, start, end);
  if (length === null) return null;
  // Every quote inside must be escaped: the first unescaped one would end the string early.
  for (let q = raw.indexOf(QUOTE, start); q !== -1 && q < end; q = raw.indexOf(QUOTE, q + 1)) {
    let slashes = 0;
    while (q - slashes - 1 >= start && raw[q - slashes - 1] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return null;
  }
  for (let b = raw.indexOf(BACKSLASH, start); b !== -1 && b < end; b = raw.indexOf(BACKSLASH, b)) {
    const next = b + 1 < end ? raw[b + 1]! : -1;
    if (SIMPLE_ESCAPES.has(next)) {
      length -= 1; // `\n`: two bytes, one character
      b += 2;
    } else if (next === 0x75 && b + 6 <= end && isHex(raw, b + 2, b + 6)) {
      length -= 5; // `\u00e9`: six bytes, one code unit
      b += 6;
    } else {
      return null;
    }
  }
  return length;
}

function isHex(raw: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = raw[i]! | 0x20; // lower-case letters; digits unchanged
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/**
 * UTF-16 length of UTF-8 bytes: one unit per character, two for one outside the BMP (a 4-byte
 * sequence); null on a raw control character, which a JSON string may not hold.
 */
function utf16Length(raw: Buffer, start: number, end: number): number | null {
  let units = 0;
  for (let i = start; i < end; i++) {
    const b = raw[i]!;
    if (b < 0x20) return null;
    if (b < 0x80 || b >= 0xc0) units += b >= 0xf0 ? 2 : 1; // continuation bytes (0x80–0xbf) add nothing
  }
  return units;
}
