import { stringEnd } from './providers/raw-json.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A top-level member of a JSON object in raw bytes: its key, and where it starts and its value starts and ends. */
interface Member {
  key: string;
  start: number;
  valueStart: number;
  valueEnd: number;
}

/**
 * A request body with the top-level members `next` changes from `prev` (the parse of `raw`)
 * changed in its bytes: a member whose value `next` replaced (another value, by identity) gets
 * that value's JSON, one it removed is cut out, one it added goes last; every other member keeps
 * the bytes the client sent. The edits capped makes (the model, the output ceiling, a usage option,
 * tools taken out) are such members, and re-serializing a long history whole took 1.5 ms for
 * 400 KB, where this takes a scan and one copy (issue 11), and members only added take no scan.
 * Null when `raw` is not laid out so this is safe (not an object, a key with an escape or given
 * twice, bytes after the object): the caller serializes `next` whole.
 */
export function spliceTopLevel(raw: Buffer, prev: Record<string, unknown>, next: Record<string, unknown>): Buffer | null {
  const kept = Object.keys(prev).every((key) => Object.hasOwn(next, key) && next[key] === prev[key]);
  if (kept) return withAdded(raw, prev, next);
  const members = topLevelMembers(raw);
  if (members === null) return null;
  const entries: Buffer[][] = [];
  // JSON.stringify leaves out a member whose value is undefined: so does this.
  for (const m of members) {
    const value = next[m.key];
    if (!Object.hasOwn(next, m.key) || value === undefined) continue;
    if (value === prev[m.key]) entries.push([raw.subarray(m.start, m.valueEnd)]);
    else entries.push([raw.subarray(m.start, m.valueStart), Buffer.from(JSON.stringify(value))]);
  }
  const present = new Set(members.map((m) => m.key));
  for (const [key, value] of Object.entries(next)) {
    if (!present.has(key) && value !== undefined) entries.push([Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value)}`)]);
  }
  const pieces: Buffer[] = [OPEN];
  entries.forEach((entry, k) => pieces.push(...(k > 0 ? [SEPARATOR] : []), ...entry));
  pieces.push(CLOSE);
  return Buffer.concat(pieces);
}

/**
 * Members only added (Chat's usage option on every stream that lacks it): they go before the
 * object's closing brace, and nothing else needs reading.
 */
function withAdded(raw: Buffer, prev: Record<string, unknown>, next: Record<string, unknown>): Buffer | null {
  let end = raw.length - 1;
  while (end > 0 && isSpace(raw[end])) end--;
  if (raw[end] !== CLOSE_OBJECT) return null;
  const added = Object.entries(next)
    .filter(([key, value]) => !Object.hasOwn(prev, key) && value !== undefined)
    .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  if (added.length === 0) return raw;
  const lead = Object.keys(prev).length > 0 ? ',' : '';
  return Buffer.concat([raw.subarray(0, end), Buffer.from(`${lead}${added.join(',')}}`)]);
}

const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('}');
const SEPARATOR = Buffer.from(',');

/** The top-level members of the JSON object in `raw`, or null (see spliceTopLevel). */
function topLevelMembers(raw: Buffer): Member[] | null {
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
    const valueEnd = skipValue(raw, valueStart);
    if (valueEnd === -1) return null;
    members.push({ key, start, valueStart, valueEnd });
    i = skipSpace(raw, valueEnd);
    if (raw[i] === COMMA) {
      i = skipSpace(raw, i + 1);
      continue;
    }
    if (raw[i] !== CLOSE_OBJECT) return null;
    return skipSpace(raw, i + 1) === raw.length ? members : null;
  }
}

function skipSpace(raw: Buffer, i: number): number {
  while (isSpace(raw[i])) i++;
  return i;
}

/** Where the JSON value starting at `i` ends (exclusive), or -1. Strings are skipped natively (indexOf). */
function skipValue(raw: Buffer, i: number): number {
  const c = raw[i];
  if (c === QUOTE) {
    const end = stringEnd(raw, i + 1);
    return end === -1 ? -1 : end + 1;
  }
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    // A number or a literal: up to the next delimiter.
    let j = i;
    while (j < raw.length && raw[j] !== COMMA && raw[j] !== CLOSE_OBJECT && raw[j] !== CLOSE_ARRAY && !isSpace(raw[j])) j++;
    return j > i ? j : -1;
  }
  let depth = 0;
  for (let j = i; j < raw.length; j++) {
    const b = raw[j];
    if (b === QUOTE) {
      const end = stringEnd(raw, j + 1);
      if (end === -1) return -1;
      j = end;
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
    else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}
