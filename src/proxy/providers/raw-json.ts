import { isAscii } from 'node:buffer';

// Reading a JSON string straight from the bytes of a raw SSE event, for the meters' fast paths
// (issue 11): a content delta is most of a long answer, and decoding and parsing each was most of
// the proxy's work on a big stream.

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
/** Characters that may follow a backslash in a JSON string (besides `u`). */
const SIMPLE_ESCAPES = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));

/**
 * The decoded length of the JSON string body raw[start, end), `end` being its closing quote: each
 * escape is one code unit, each character its UTF-16 length. Null when it is not a well-formed
 * JSON string body (an unescaped quote, a bad escape, a raw control character in non-ASCII text).
 * Escapes and quotes are found natively (indexOf); an ASCII body is counted without a byte loop,
 * so a raw control character there (a tab, say, from a misbehaving upstream) is counted as one
 * character rather than refused.
 */
export function jsonStringLength(raw: Buffer, start: number, end: number): number | null {
  if (end - start <= SHORT_BODY) return shortStringLength(raw, start, end);
  let length = isAscii(raw.subarray(start, end)) ? end - start : utf16Length(raw, start, end);
  // Every quote inside must be escaped: the first unescaped one ends the string.
  if (length === null || stringEnd(raw, start) !== end) return null;
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

/**
 * Bodies up to this many bytes are measured in one pass of plain JavaScript: for them the fixed
 * cost of the native calls (isAscii, indexOf) is most of the work, and a long answer streams as
 * thousands of deltas of a few words each (issue 11). Longer bodies take the native path.
 */
const SHORT_BODY = 256;

/** jsonStringLength for a short body, in one pass; the same answers (tested against each other). */
function shortStringLength(raw: Buffer, start: number, end: number): number | null {
  if (raw[end] !== QUOTE) return null;
  let units = 0;
  let control = false;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const b = raw[i]!;
    if (b === QUOTE) return null; // not escaped: the string ends before `end`
    if (b === BACKSLASH) {
      const next = i + 1 < end ? raw[i + 1]! : -1;
      if (SIMPLE_ESCAPES.has(next)) i += 1;
      else if (next === 0x75 && i + 6 <= end && isHex(raw, i + 2, i + 6)) i += 5;
      else return null;
      units++;
    } else if (b < 0x80) {
      units++;
      if (b < 0x20) control = true;
    } else {
      ascii = false;
      if (b >= 0xc0) units += b >= 0xf0 ? 2 : 1; // continuation bytes (0x80–0xbf) add nothing
    }
  }
  // As on the native path: a raw control character is refused in non-ASCII text only.
  return control && !ascii ? null : units;
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

/**
 * Where the JSON string whose body starts at `start` ends: the index of its closing quote (the
 * first quote not escaped by an odd run of backslashes), or -1 when there is none.
 */
export function stringEnd(raw: Buffer, start: number): number {
  for (let q = raw.indexOf(QUOTE, start); q !== -1; q = raw.indexOf(QUOTE, q + 1)) {
    let slashes = 0;
    while (q - slashes - 1 >= start && raw[q - slashes - 1] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
  }
  return -1;
}

/** Whether `raw` holds the bytes of `part` at `at`. */
export function bytesAt(raw: Buffer, part: Buffer, at: number): boolean {
  if (at < 0 || at + part.length > raw.length) return false;
  // A loop, not Buffer.compare: the parts are a few dozen bytes, less than a native call costs.
  for (let i = 0; i < part.length; i++) if (raw[at + i] !== part[i]) return false;
  return true;
}
