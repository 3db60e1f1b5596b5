import type { DeltaLayout } from './raw-delta-stream.js';
import { bytesAt, closedString, holdsNoneOf } from './raw-json.js';
import { LF, QUOTE } from '../shared-bytes.js';

const EVENT = Buffer.from('event: ');
const DATA = Buffer.from('\ndata: {"type":"');
const DELTA_KEY = Buffer.from(',"delta":"');
const END = Buffer.from('}\n\n');
const TYPE_OPEN = Buffer.from('{"type":"');
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;

/**
 * The length (in UTF-16 code units) of the `delta` text of an OpenAI Responses delta event whose
 * type is in `types`, read from the raw SSE event without decoding or parsing it (issue 11); null
 * for any event not in this shape, which is then read the ordinary way:
 *
 *   event: response.output_text.delta
 *   data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1",…,"delta":"Hi","logprobs":[]}
 *
 * The `delta` key is found as the bytes `,"delta":"`. Inside a JSON string every quote is
 * escaped, so those bytes can only be a key; and only one at the top level is taken: an object or
 * array opened before it sends the event the ordinary way. What follows the string must be plain
 * (quietTail): JSON.parse keeps the last of a key given twice, so a second `type` there, with an
 * `item` holding a function call, would make the event a tool call the meter never saw.
 */
export function responsesDeltaLength(raw: Buffer, types: ReadonlySet<string>): number | null {
  const head = deltaHead(raw, types);
  // One data line, one event: the only line ends are the event's own last two.
  if (head === null || !bytesAt(raw, END, raw.length - END.length) || raw.indexOf(LF, head.typeAt) !== raw.length - 2) return null;
  return deltaUnits(raw, head.start);
}

/** The units of the delta's string starting at `start`, when it closes and only plain fields follow it (quietTail). */
function deltaUnits(raw: Buffer, start: number): number | null {
  const string = closedString(raw, start);
  return string !== null && quietTail(raw.subarray(string.end)) ? string.units : null;
}

/** Keys that, given again after the delta, would change what the event is or says. */
const TAIL_WORDS = [Buffer.from('{'), Buffer.from('"type"'), Buffer.from('"delta"')];

/** What may not come between the type and the delta key (see deltaStart). */
const HEAD_STOPS: readonly (number | Buffer)[] = [OPEN_OBJECT, OPEN_ARRAY, Buffer.from('"type"'), Buffer.from('\\u')];

/**
 * Whether what follows the delta's string (OpenAI's `item_id`, `logprobs: []`, `obfuscation`,
 * indexes) can only be such fields: no object in it, no second `type` or `delta`, no `\u` escape
 * that could spell one. Anything else is read the ordinary way, where the last key wins as it
 * does for the agent.
 */
function quietTail(after: Buffer): boolean {
  return holdsNoneOf(after, TAIL_WORDS);
}

/**
 * The same for a WebSocket text message (Codex over WebSocket), which is the JSON alone:
 *
 *   {"type":"response.output_text.delta","sequence_number":4,…,"delta":"Hi","logprobs":[]}
 *
 * The type is read from the bytes here, as no event line names it.
 */
export function responsesMessageDeltaLength(payload: Buffer, types: ReadonlySet<string>): number | null {
  if (!bytesAt(payload, TYPE_OPEN, 0) || payload[payload.length - 1] !== CLOSE_OBJECT) return null;
  const nameEnd = payload.indexOf(QUOTE, TYPE_OPEN.length);
  if (nameEnd === -1 || nameEnd - TYPE_OPEN.length > 64 || !types.has(payload.toString('latin1', TYPE_OPEN.length, nameEnd))) return null;
  const start = deltaStart(payload, TYPE_OPEN.length);
  return start === null ? null : deltaUnits(payload, start);
}

/** Where the event's type and its delta's string start; null when the event is not in the layout. */
function deltaHead(raw: Buffer, types: ReadonlySet<string>): { typeAt: number; start: number } | null {
  if (!bytesAt(raw, EVENT, 0)) return null;
  const nameEnd = raw.indexOf(LF, EVENT.length);
  if (nameEnd === -1 || nameEnd - EVENT.length > 64) return null;
  const name = raw.toString('latin1', EVENT.length, nameEnd);
  if (!types.has(name) || !bytesAt(raw, DATA, nameEnd)) return null;
  const typeAt = nameEnd + DATA.length;
  if (raw.toString('latin1', typeAt, typeAt + name.length) !== name || raw[typeAt + name.length] !== QUOTE) return null;
  const start = deltaStart(raw, typeAt);
  return start === null ? null : { typeAt, start };
}

/**
 * Where the delta's string starts: after the first `,"delta":"` from `typeAt`, when it is a
 * top-level key and no second `type` comes before it (spelled out or with an escape).
 */
function deltaStart(raw: Buffer, typeAt: number): number | null {
  const key = raw.indexOf(DELTA_KEY, typeAt);
  if (key === -1) return null;
  for (const what of HEAD_STOPS) if (foundBefore(raw, what, typeAt, key)) return null;
  return key + DELTA_KEY.length;
}

/**
 * The same layout for a delta read as it streams through (RawDeltaStream). Its `delta` key must
 * have arrived with the event's first kilobyte (else the event is read the usual way, whole), and
 * no line may end between the type and the event's own end.
 */
export function deltaLayout(types: ReadonlySet<string>): DeltaLayout {
  return {
    headBytes: 1024,
    bodyStart: (head) => {
      const at = deltaHead(head, types);
      if (at === null) return null;
      const lf = head.indexOf(LF, at.typeAt);
      return lf !== -1 && lf < at.start ? null : at.start;
    },
    tailOk: (after, lineEndInString) =>
      !lineEndInString && after.indexOf(LF) === after.length - 2 && bytesAt(after, END, after.length - END.length) && quietTail(after),
  };
}

/**
 * Found between `from` and `key`: an object or array opened there means the key found may be a
 * nested one; a second `type` there would be the one JSON.parse keeps.
 */
function foundBefore(raw: Buffer, what: number | Buffer, from: number, key: number): boolean {
  const at = raw.indexOf(what, from);
  return at !== -1 && at < key;
}
