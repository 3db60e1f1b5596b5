import type { DeltaLayout } from './raw-delta-stream.js';
import { bytesAt, jsonStringLength } from './raw-json.js';

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
  const start = bodyStart(raw);
  const end = raw.length - SUFFIX.length;
  if (start === null || end < start || !bytesAt(raw, SUFFIX, end)) return null;
  return jsonStringLength(raw, start, end);
}

/** Where the delta's text starts, after `…"text":"` (or thinking, partial_json); null when not in the layout. */
function bodyStart(raw: Buffer): number | null {
  if (!bytesAt(raw, PREFIX, 0)) return null;
  let i = PREFIX.length;
  const digits = i;
  while (i < raw.length && raw[i]! >= 0x30 && raw[i]! <= 0x39) i++;
  if (i === digits || i - digits > MAX_INDEX_DIGITS) return null;
  if (!bytesAt(raw, DELTA, i)) return null;
  i += DELTA.length;
  for (const kind of KINDS) if (bytesAt(raw, kind, i)) return i + kind.length;
  return null;
}

const PREFIX = Buffer.from('event: content_block_delta\ndata: {"type":"content_block_delta","index":');
const DELTA = Buffer.from(',"delta":{"type":"');
const KINDS = ['text_delta","text":"', 'thinking_delta","thinking":"', 'input_json_delta","partial_json":"'].map((k) => Buffer.from(k));
const SUFFIX = Buffer.from('"}}\n\n');
const MAX_INDEX_DIGITS = 6;

/** The same layout for a delta read as it streams through (RawDeltaStream): the text ends the event. */
export const deltaLayout: DeltaLayout = {
  headBytes: PREFIX.length + MAX_INDEX_DIGITS + DELTA.length + Math.max(...KINDS.map((k) => k.length)),
  bodyStart,
  tailOk: (after) => after.length === SUFFIX.length && bytesAt(after, SUFFIX, 0),
};
