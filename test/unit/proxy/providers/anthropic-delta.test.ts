import { describe, expect, it } from 'vitest';
import { deltaTextLength } from '../../../../src/proxy/providers/anthropic-delta.js';
import { anthropic } from '../../../../src/proxy/providers/anthropic.js';
import { SseReader } from '../../../../src/proxy/sse-reader.js';
import { expectSameReading, randomText } from './raw-events.js';

const event = (delta: Record<string, unknown>, index = 0): Buffer =>
  Buffer.from(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index, delta })}\n\n`);

/** What the ordinary path counts: the event read as text, its JSON parsed, the delta's text measured. */
function parsedLength(raw: Buffer): number {
  const reader = new SseReader();
  const [e] = reader.push(raw);
  const delta = (JSON.parse(e!.data) as { delta: Record<string, string> }).delta;
  return (delta.text ?? delta.thinking ?? delta.partial_json ?? '').length;
}

describe('deltaTextLength: a content delta measured from its bytes', () => {
  it('counts what JSON.parse would, for text, thinking and tool-input deltas of any characters', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = randomText(seed % 97, seed);
      for (const delta of [
        { type: 'text_delta', text },
        { type: 'thinking_delta', thinking: text },
        { type: 'input_json_delta', partial_json: text },
      ]) {
        const raw = event(delta, seed % 13);
        expect(deltaTextLength(raw), JSON.stringify(delta)).toBe(parsedLength(raw));
      }
    }
  });

  it('counts escapes written with \\u, upper or lower case, and surrogate pairs as two units', () => {
    const raw = (body: string): Buffer =>
      Buffer.from(`event: content_block_delta\ndata: {"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"${body}"}}\n\n`);
    for (const body of ['\\u00e9', '\\u00E9x', '\\ud83d\\ude00', 'a\\\\', '\\\\\\"', '', 'plain']) {
      expect(deltaTextLength(raw(body)), body).toBe(parsedLength(raw(body)));
    }
  });

  it('leaves every other event to the ordinary path', () => {
    const others = [
      'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5}}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":9}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","name":"Bash"}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}\n\n',
      // Not exactly Anthropic's layout: spaces, key order, CRLF, no event line, extra fields.
      'event: content_block_delta\ndata: {"type": "content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n',
      'event: content_block_delta\ndata: {"index":0,"type":"content_block_delta","delta":{"type":"text_delta","text":"hi"}}\n\n',
      'event: content_block_delta\r\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\r\n\r\n',
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi","x":1}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":,"delta":{"type":"text_delta","text":"hi"}}\n\n',
    ];
    for (const text of others) expect(deltaTextLength(Buffer.from(text)), text).toBeNull();
  });

  it('refuses a body that is not a well-formed JSON string: an unescaped quote, a bad escape, a raw control byte', () => {
    const raw = (body: string): Buffer =>
      Buffer.from(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${body}"}}\n\n`);
    for (const body of ['a"b', 'a\\\\"b', '\\x', '\\u12', '\\u12G4', 'end\\', 'é\u0001']) expect(deltaTextLength(raw(body)), body).toBeNull();
  });

  it('lets the Anthropic meter count a delta from its bytes exactly as from its parsed event', () => {
    expectSameReading(anthropic, [
      event({ type: 'text_delta', text: 'héllo 😀 "quoted"\n' }),
      event({ type: 'input_json_delta', partial_json: '{"command":"ls"}' }),
    ]);
  });
});
