import { isAscii } from 'node:buffer';
import { simdStretches, type Stretch, type StretchReader } from './json-string-stretch.js';
import { BACKSLASH, QUOTE } from '../shared-bytes.js';

// Reading a JSON string straight from the bytes of a raw SSE event, for the meters' fast paths
// (issue 11): a content delta is most of a long answer, and decoding and parsing each was most of
// the proxy's work on a big stream.

/** Characters that may follow a backslash in a JSON string (besides `u`). */
const SIMPLE_ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPES[c.charCodeAt(0)] = 1;

/**
 * The decoded length of the JSON string body raw[start, end), `end` being its closing quote: each
 * escape is one code unit, each character its UTF-16 length. Null when it is not a well-formed
 * JSON string body (an unescaped quote, a bad escape, a raw control character in non-ASCII text).
 * A raw control character in ASCII text (a tab, say, from a misbehaving upstream) is counted as
 * one character rather than refused: the native path counted ASCII without a byte loop, and every
 * path keeps its answers. A long body is read by `stretches` (the WebAssembly reader), or without
 * one by native calls (indexOf for the escapes and quotes).
 */
export function jsonStringLength(raw: Buffer, start: number, end: number, stretches: StretchReader | null = simdStretches()): number | null {
  if (end - start <= SHORT_BODY) return shortStringLength(raw, start, end);
  if (stretches !== null) {
    const s = stretches(raw, start, Math.min(end + 1, raw.length));
    return s.why === 'quote' && s.stop === end && !badControl(s) ? s.units : null;
  }
  let length = unitsOf(raw, start, end);
  // Every quote inside must be escaped: the first unescaped one ends the string.
  if (length === null || stringEnd(raw, start) !== end) return null;
  for (let b = raw.indexOf(BACKSLASH, start); b !== -1 && b < end; b = raw.indexOf(BACKSLASH, b)) {
    const next = b + 1 < end ? raw[b + 1]! : 0; // 0: no letter, no escape
    if (SIMPLE_ESCAPES[next] === 1) {
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

/** A JSON string read up to its closing quote: its length (as jsonStringLength), and the quote's index. */
export interface ClosedString {
  units: number;
  end: number;
}

/**
 * The string whose body starts at `start`, read up to its closing quote wherever that lies; null
 * when it has none or is not well formed. A long rest of `raw` is read once, by the stretch
 * reader, rather than searched for the quote and then measured.
 */
export function closedString(raw: Buffer, start: number, stretches: StretchReader | null = simdStretches()): ClosedString | null {
  if (stretches !== null && raw.length - start > SHORT_BODY) {
    const s = stretches(raw, start, raw.length);
    return s.why === 'quote' && !badControl(s) ? { units: s.units, end: s.stop } : null;
  }
  const end = stringEnd(raw, start);
  const units = end === -1 ? null : jsonStringLength(raw, start, end, stretches);
  return units === null ? null : { units, end };
}

/**
 * Bodies up to this many bytes are measured in one pass of plain JavaScript: for them the fixed
 * cost of the native calls (isAscii, indexOf, WebAssembly) is most of the work, and a long answer
 * streams as thousands of deltas of a few words each (issue 11). Longer bodies are read by the
 * WebAssembly stretch reader, or where there is none by native calls.
 */
const SHORT_BODY = 256;

/**
 * jsonStringLength for a short body, in one JavaScript loop (shortLength's, with the escapes
 * checked and counted one unit each); the same answers (tested against each other). A long
 * answer streams as thousands of these, each a few words.
 */
function shortStringLength(raw: Buffer, start: number, end: number): number | null {
  if (raw[end] !== QUOTE) return null;
  let units = 0;
  let control = false;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const b = raw[i]!;
    if (b >= 0x80) {
      ascii = false;
      if (b >= 0xc0) units += b >= 0xf0 ? 2 : 1;
      continue;
    }
    units++;
    if (b === QUOTE) return null; // not escaped: the string ends before `end`
    if (b === BACKSLASH) {
      const length = escapeLength(raw, i);
      if (length === null || i + length > end) return null;
      i += length - 1;
    } else if (b < 0x20) control = true;
  }
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

/** jsonStringLength's rule: a raw control character is refused in text that is not all ASCII. */
const badControl = (s: Stretch): boolean => s.control && s.nonAscii;

/** Whether `raw` holds the bytes of `part` at `at`. */
export function bytesAt(raw: Buffer, part: Buffer, at: number): boolean {
  if (at < 0 || at + part.length > raw.length) return false;
  // A loop, not Buffer.compare: the parts are a few dozen bytes, less than a native call costs.
  for (let i = 0; i < part.length; i++) if (raw[at + i] !== part[i]) return false;
  return true;
}

const UNICODE_ESCAPE = Buffer.from('\\u');

/**
 * Whether the JSON text `raw` cannot hold any of `words`, read from its bytes alone: none of them
 * is there, and no `\u` escape either, which could spell one (`"function\u0043all"` is a
 * `functionCall` key to JSON.parse). A word is looked for anywhere, not only as a key: a false
 * alarm only means the text is parsed before it goes on.
 */
export function holdsNoneOf(raw: Buffer, words: readonly Buffer[]): boolean {
  if (raw.indexOf(UNICODE_ESCAPE) !== -1) return false;
  for (const word of words) if (raw.indexOf(word) !== -1) return false;
  return true;
}

/**
 * Measures a JSON string body that arrives in pieces (a delta streaming through the proxy in many
 * reads) as jsonStringLength measures it whole, without joining the pieces: feed it each piece
 * from the body's first byte on, and it stops at the closing quote. One difference: a raw control
 * character is refused only in a non-ASCII stretch between escapes, not anywhere in non-ASCII text
 * (malformed input either way; a JSON parser refuses both).
 */
export class JsonStringScan {
  /** UTF-16 code units read so far. */
  units = 0;
  /** 'open' while the string goes on, 'closed' once its quote was read, 'bad' when it is not a JSON string. */
  state: 'open' | 'closed' | 'bad' = 'open';
  /** An escape a piece ended in the middle of, as read so far (the backslash first). */
  private escape = '';

  constructor(private readonly stretches: StretchReader | null = simdStretches()) {}

  bad(): boolean {
    return this.state === 'bad';
  }

  /** Reads `piece` from `from`: where the byte after the closing quote is, or -1 (the string goes on, or is bad). */
  feed(piece: Buffer, from = 0): number {
    if (this.state !== 'open') return -1;
    const i = this.escape === '' ? from : this.finishEscape(piece, from);
    if (i === -1) return -1;
    if (this.stretches !== null && piece.length - i > SHORT_BODY) return this.feedStretch(this.stretches(piece, i, piece.length), piece);
    let quote = piece.indexOf(QUOTE, i);
    let slash = piece.indexOf(BACKSLASH, i);
    let escapeBytes = 0; // bytes of the escapes inside [i, at) beyond the one unit each counts for
    for (let at = i; ;) {
      if (quote !== -1 && quote < at) quote = piece.indexOf(QUOTE, at);
      if (slash !== -1 && slash < at) slash = piece.indexOf(BACKSLASH, at);
      if (slash === -1 || (quote !== -1 && quote < slash)) {
        const end = quote === -1 ? piece.length : quote;
        if (!this.count(piece, i, end, escapeBytes)) return -1;
        if (quote === -1) return -1;
        this.state = 'closed';
        return quote + 1;
      }
      const length = escapeLength(piece, slash);
      if (length === null) {
        this.state = 'bad';
        return -1;
      }
      if (slash + length > piece.length) {
        // The piece ends inside this escape: keep its bytes for the next piece.
        if (!this.count(piece, i, slash, escapeBytes)) return -1;
        this.escape = piece.toString('latin1', slash);
        return -1;
      }
      escapeBytes += length - 1;
      at = slash + length;
    }
  }

  /** feed's ending when the stretch reader read the piece. */
  private feedStretch(s: Stretch, piece: Buffer): number {
    if (s.why === 'bad' || badControl(s) || (s.why === 'cut' && escapeLength(piece, s.stop) === null)) {
      this.state = 'bad';
      return -1;
    }
    this.units += s.units;
    if (s.why === 'quote') {
      this.state = 'closed';
      return s.stop + 1;
    }
    if (s.why === 'cut') this.escape = piece.toString('latin1', s.stop); // the piece ends inside this escape
    return -1;
  }

  /** Counts raw[from, to), escapes inside it taking `escapeBytes` more bytes than units. */
  private count(raw: Buffer, from: number, to: number, escapeBytes: number): boolean {
    const length = unitsOf(raw, from, to);
    if (length === null) {
      this.state = 'bad';
      return false;
    }
    this.units += length - escapeBytes;
    return true;
  }

  /** Completes an escape a piece ended inside of: where reading goes on, or -1. */
  private finishEscape(piece: Buffer, from: number): number {
    const have = this.escape.length;
    const joined = Buffer.concat([Buffer.from(this.escape, 'latin1'), piece.subarray(from, from + 6)]);
    const length = escapeLength(joined, 0);
    if (length === null) {
      this.state = 'bad';
      return -1;
    }
    if (length > joined.length) {
      this.escape = joined.toString('latin1');
      return -1;
    }
    this.escape = '';
    this.units += 1;
    return from + length - have;
  }
}

/**
 * Bytes of the escape at raw[at] (a backslash): 2 for `\n` and the like, 6 for `\u00e9`, more than
 * what is left when the buffer ends inside it (7 when even its letter is missing), null when it is
 * not an escape JSON allows.
 */
function escapeLength(raw: Buffer, at: number): number | null {
  if (at + 1 >= raw.length) return 7;
  const next = raw[at + 1]!;
  if (SIMPLE_ESCAPES[next] === 1) return 2;
  if (next !== 0x75) return null;
  const end = Math.min(raw.length, at + 6);
  if (!isHex(raw, at + 2, end)) return null;
  return end === at + 6 ? 6 : 7;
}

/**
 * Units in raw[from, to), escape bytes one each, by jsonStringLength's rule for control characters
 * (allowed in ASCII text, refused in text that is not): a short stretch in one JavaScript loop, a
 * long one natively when it is ASCII.
 */
function unitsOf(raw: Buffer, from: number, to: number): number | null {
  if (to - from <= SHORT_BODY) return shortLength(raw, from, to);
  return isAscii(raw.subarray(from, to)) ? to - from : utf16Length(raw, from, to);
}

/** unitsOf for a short stretch. */
function shortLength(raw: Buffer, from: number, to: number): number | null {
  let units = 0;
  let control = false;
  let ascii = true;
  for (let i = from; i < to; i++) {
    const b = raw[i]!;
    if (b < 0x80) {
      units++;
      if (b < 0x20) control = true;
    } else {
      ascii = false;
      if (b >= 0xc0) units += b >= 0xf0 ? 2 : 1;
    }
  }
  return control && !ascii ? null : units;
}
