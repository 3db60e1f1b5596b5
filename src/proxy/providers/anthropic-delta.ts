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
  if (!bytesAt(raw, PREFIX, 0)) return null;
  let i = PREFIX.length;
  const digits = i;
  while (i < raw.length && raw[i]! >= 0x30 && raw[i]! <= 0x39) i++;
  if (i === digits || i - digits > 6) return null;
  if (!bytesAt(raw, DELTA, i)) return null;
  i += DELTA.length;
  let kind: Buffer | undefined;
  for (const k of KINDS) {
    if (!bytesAt(raw, k, i)) continue;
    kind = k;
    break;
  }
  if (kind === undefined) return null;
  const start = i + kind.length;
  const end = raw.length - SUFFIX.length;
  if (end < start || !bytesAt(raw, SUFFIX, end)) return null;
  return jsonStringLength(raw, start, end);
}

const PREFIX = Buffer.from('event: content_block_delta\ndata: {"type":"content_block_delta","index":');
const DELTA = Buffer.from(',"delta":{"type":"');
const KINDS = ['text_delta","text":"', 'thinking_delta","thinking":"', 'input_json_delta","partial_json":"'].map((k) => Buffer.from(k));
const SUFFIX = Buffer.from('"}}\n\n');
