import { stringEnd } from './providers/raw-json.js';
import { BACKSLASH, QUOTE } from './shared-bytes.js';

// A JSON object body's structure read from its bytes (issue 11): its top-level members, which
// spliceTopLevel edits in place, and its history array, each element of which RequestBodies
// parses once. Only the structure is read; the values are JSON.parse's to check, as the callers
// parse the body too.

const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** The history array of a JSON object body: where it opens and closes, and where each element ends. */
export interface HistoryLayout {
  /** Index of the array's `[`. */
  readonly open: number;
  /** Index of the array's `]`. */
  readonly close: number;
  /** Index just past each element, in order. */
  readonly ends: readonly number[];
}

export const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

function skipSpace(raw: Buffer, i: number): number {
  while (isSpace(raw[i])) i++;
  return i;
}

/**
 * Where the value starting at raw[i] ends (the index past it), or -1 when it runs past the
 * buffer. Strings are skipped natively (indexOf) and brackets counted.
 */
function valueEnd(raw: Buffer, i: number): number {
  const first = raw[i];
  if (first === QUOTE) {
    const end = stringEnd(raw, i + 1);
    return end === -1 ? -1 : end + 1;
  }
  if (first !== OPEN_ARRAY && first !== OPEN_OBJECT) {
    // A number or a literal: up to the next separator.
    let j = i;
    while (j < raw.length) {
      const b = raw[j]!;
      if (b === COMMA || b === CLOSE_ARRAY || b === CLOSE_OBJECT || isSpace(b)) break;
      j++;
    }
    return j > i ? j : -1;
  }
  let depth = 0;
  for (let j = i; j < raw.length; j++) {
    const b = raw[j]!;
    if (b === QUOTE) {
      j = stringEnd(raw, j + 1);
      if (j === -1) return -1;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) depth++;
    else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/**
 * The ends of the array elements in raw[from, …) up to the array's `]`: `from` is just past an
 * element (or just past the `[`, with `first`), so what follows is `, element` pairs, or the first
 * element. Null when the bytes are not laid out so.
 */
export function elementEnds(raw: Buffer, from: number, first: boolean): { ends: number[]; close: number } | null {
  const ends: number[] = [];
  let i = skipSpace(raw, from);
  if (first && raw[i] !== CLOSE_ARRAY) {
    const end = valueEnd(raw, i);
    if (end === -1) return null;
    ends.push(end);
    i = skipSpace(raw, end);
  }
  while (raw[i] === COMMA) {
    const end = valueEnd(raw, skipSpace(raw, i + 1));
    if (end === -1) return null;
    ends.push(end);
    i = skipSpace(raw, end);
  }
  return raw[i] === CLOSE_ARRAY ? { ends, close: i } : null;
}

/** A top-level member of a JSON object in raw bytes: its key, and where it starts and its value starts and ends. */
export interface Member {
  key: string;
  start: number;
  valueStart: number;
  valueEnd: number;
}

/**
 * The top-level members of the JSON object in `raw`, or null when it is not laid out so plainly
 * (a key with an escape or given twice, `__proto__`, bytes after the object).
 */
export function topLevelMembers(raw: Buffer): Member[] | null {
  let i = skipSpace(raw, 0);
  if (raw[i] !== OPEN_OBJECT) return null;
  i = skipSpace(raw, i + 1);
  const members: Member[] = [];
  const keys = new Set<string>();
  if (raw[i] === CLOSE_OBJECT) return skipSpace(raw, i + 1) === raw.length ? members : null;
  for (;;) {
    if (raw[i] !== QUOTE) return null;
    const keyEnd = stringEnd(raw, i + 1);
    if (keyEnd === -1 || raw.subarray(i + 1, keyEnd).includes(BACKSLASH)) return null;
    const key = raw.toString('utf8', i + 1, keyEnd);
    if (keys.has(key) || key === '__proto__') return null;
    keys.add(key);
    const start = i;
    i = skipSpace(raw, keyEnd + 1);
    if (raw[i] !== COLON) return null;
    const valueStart = skipSpace(raw, i + 1);
    const end = valueEnd(raw, valueStart);
    if (end === -1) return null;
    members.push({ key, start, valueStart, valueEnd: end });
    i = skipSpace(raw, end);
    if (raw[i] === COMMA) {
      i = skipSpace(raw, i + 1);
      continue;
    }
    if (raw[i] !== CLOSE_OBJECT) return null;
    return skipSpace(raw, i + 1) === raw.length ? members : null;
  }
}

/**
 * The layout of the array member `key` of the JSON object in `raw`, or null when the body is not
 * an object whose `key` is an array, laid out as topLevelMembers reads objects (a key spelled with
 * an escape could be `key` again, which JSON.parse would take instead).
 */
export function historyLayout(raw: Buffer, key: string): HistoryLayout | null {
  const member = topLevelMembers(raw)?.find((m) => m.key === key);
  if (member === undefined || raw[member.valueStart] !== OPEN_ARRAY) return null;
  const elements = elementEnds(raw, member.valueStart + 1, true);
  return elements === null || elements.close !== member.valueEnd - 1 ? null : { open: member.valueStart, close: elements.close, ends: elements.ends };
}
