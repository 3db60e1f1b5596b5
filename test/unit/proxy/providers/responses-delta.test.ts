import { describe, expect, it } from 'vitest';
import { openaiResponses } from '../../../../src/proxy/providers/openai-responses.js';
import { responsesDeltaLength, responsesMessageDeltaLength } from '../../../../src/proxy/providers/responses-delta.js';
import { SseReader } from '../../../../src/proxy/sse-reader.js';
import { expectSameReading, randomText } from './raw-events.js';

const TYPES = new Set(['response.output_text.delta', 'response.function_call_arguments.delta', 'response.reasoning_summary_text.delta']);

const event = (type: string, fields: Record<string, unknown>): Buffer => Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`);

/** A delta event's fields as OpenAI sends them, around `delta`. */
const openaiFields = (delta: string, seed: number): Record<string, unknown> => ({
  sequence_number: seed,
  item_id: `msg_${seed}`,
  output_index: seed % 3,
  content_index: 0,
  delta,
  logprobs: [],
  // Random letters and digits to pad the event, as OpenAI sends them.
  obfuscation: Buffer.from(randomText(seed % 7, seed + 1)).toString('base64url'),
});

/** The meter's reading of the event the ordinary way: read as text, JSON parsed. */
function parsedChars(raw: Buffer): number {
  const meter = openaiResponses.createMeter({ injectedUsage: false });
  for (const e of new SseReader().push(raw)) meter.event(e);
  return meter.reading().outputChars;
}

const message = (type: string, fields: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ type, ...fields }));

/** The meter's reading of the message the ordinary way: read as text, JSON parsed. */
function readChars(payload: Buffer): number {
  const meter = openaiResponses.createMeter({ injectedUsage: false });
  meter.message!(payload.toString('utf8'));
  return meter.reading().outputChars;
}

/** The two ways a delta arrives: its bytes, what they measure, and what the ordinary path reads. */
const FORMS = [
  { name: 'an SSE event', frame: event, measure: responsesDeltaLength, ordinary: parsedChars },
  { name: 'a WebSocket message', frame: message, measure: responsesMessageDeltaLength, ordinary: readChars },
];

describe.each(FORMS)('a delta as $name, measured from its bytes', ({ frame, measure, ordinary }) => {
  it('counts what JSON.parse would, with the fields OpenAI sends before and after the delta', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const delta = randomText(seed % 89, seed);
      const type = [...TYPES][seed % TYPES.size]!;
      const raw = frame(type, openaiFields(delta, seed));
      expect(measure(raw, TYPES), JSON.stringify(delta)).toBe(delta.length);
      expect(ordinary(raw)).toBe(delta.length);
    }
  });
});

describe('responsesDeltaLength: a Responses delta measured from its bytes', () => {
  it('leaves every other event to the ordinary path', () => {
    const others = [
      // Not a delta type, or not the one named in the data, or no event line.
      event('response.completed', { response: { usage: { input_tokens: 1 } } }),
      Buffer.from('event: response.output_text.delta\ndata: {"type":"response.refusal.delta","delta":"x"}\n\n'),
      Buffer.from('data: {"type":"response.output_text.delta","delta":"x"}\n\n'),
      // The delta first (no comma before its key), a nested one only, a delta that is no string.
      Buffer.from('event: response.output_text.delta\ndata: {"delta":"x","type":"response.output_text.delta"}\n\n'),
      Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","extra":{"a":1,"delta":"x"}}\n\n'),
      Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":7}\n\n'),
      // Two data lines, CRLF, a missing end, a bad escape.
      Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta",\ndata: "delta":"x"}\n\n'),
      Buffer.from('event: response.output_text.delta\r\ndata: {"type":"response.output_text.delta","delta":"x"}\r\n\r\n'),
      Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x\n\n'),
      Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"\\x"}\n\n'),
      // A second type before the delta (the one JSON.parse keeps), spelled out or with an escape.
      Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","type":"response.completed","delta":"x"}\n\n'),
      Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","t\\u0079pe":"response.completed","delta":"x"}\n\n'),
    ];
    for (const raw of others) expect(responsesDeltaLength(raw, TYPES), raw.toString()).toBeNull();
  });

  it('reads the ordinary way a delta whose fields after it could make it another event (JSON.parse keeps the last of a key)', () => {
    const call = '"item":{"type":"function_call","id":"fc_1","call_id":"c1","name":"shell","arguments":"{}"}';
    const tails = [
      `,"type":"response.output_item.done","output_index":0,${call}`,
      `,"t\\u0079pe":"response.output_item.done",${call}`,
      ',"delta":"a longer text than the first"',
      ',"logprobs":[{"token":"x"}]',
      ',"obfuscation":"caf\\u00e9"',
    ];
    for (const tail of tails) {
      const raw = Buffer.from(`event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x"${tail}}\n\n`);
      expect(() => JSON.parse(raw.toString().slice(raw.indexOf('{'))) as unknown).not.toThrow();
      expect(responsesDeltaLength(raw, TYPES), raw.toString()).toBeNull();
    }
    // The meter, reading the first one the ordinary way, counts its tool call.
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    const smuggled = Buffer.from(`event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x"${tails[0]}}\n\n`);
    expect(meter.rawEvent!(smuggled)).toBe(false);
    for (const e of new SseReader().push(smuggled)) meter.event(e);
    expect(meter.reading().toolCalls).toBe(1);
  });

  it('lets the Responses meter count a delta from its bytes exactly as from its parsed event', () => {
    const raws = [
      event('response.output_text.delta', { sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'héllo 😀 "x"\n', logprobs: [] }),
      event('response.function_call_arguments.delta', { sequence_number: 2, item_id: 'fc_1', output_index: 1, delta: '{"cmd":"ls"}' }),
    ];
    expectSameReading(openaiResponses, raws);
  });
});

describe('responsesMessageDeltaLength: the same delta as a WebSocket message', () => {
  it('leaves every other message to the ordinary path', () => {
    const call = '"item":{"type":"function_call","id":"fc_1","call_id":"c1","name":"shell","arguments":"{}"}';
    const others = [
      message('response.completed', { response: { usage: { input_tokens: 1 } } }),
      message('response.output_item.added', { output_index: 0, item: { type: 'message', content: [] } }),
      // Not `{"type":"` first, a space or a line after the object, a type longer than any delta's.
      Buffer.from('{ "type":"response.output_text.delta","delta":"x"}'),
      Buffer.from('{"delta":"x","type":"response.output_text.delta"}'),
      Buffer.from('{"type":"response.output_text.delta","delta":"x"} '),
      Buffer.from('{"type":"response.output_text.delta","delta":"x"}\n'),
      Buffer.from(`{"type":"${'x'.repeat(80)}","delta":"x"}`),
      // A nested delta only, one that is no string, one not closed, a bad escape.
      Buffer.from('{"type":"response.output_text.delta","extra":{"a":1,"delta":"x"}}'),
      Buffer.from('{"type":"response.output_text.delta","extra":["delta"],"delta":"x"}'),
      Buffer.from('{"type":"response.output_text.delta","delta":7}'),
      Buffer.from('{"type":"response.output_text.delta","delta":"x}'),
      Buffer.from('{"type":"response.output_text.delta","delta":"\\x"}'),
      // A second type, before the delta or after it, that JSON.parse would keep.
      Buffer.from('{"type":"response.output_text.delta","type":"response.completed","delta":"x"}'),
      Buffer.from('{"type":"response.output_text.delta","t\\u0079pe":"response.completed","delta":"x"}'),
      Buffer.from(`{"type":"response.output_text.delta","delta":"x","type":"response.output_item.done","output_index":0,${call}}`),
      Buffer.from(`{"type":"response.output_text.delta","delta":"x","t\\u0079pe":"response.output_item.done",${call}}`),
      Buffer.from('{"type":"response.output_text.delta","delta":"x","delta":"a longer text than the first"}'),
    ];
    for (const payload of others) expect(responsesMessageDeltaLength(payload, TYPES), payload.toString()).toBeNull();
    // The meter then reads the smuggled call the ordinary way, and counts it.
    const meter = openaiResponses.createMeter({ injectedUsage: false });
    const smuggled = others.at(-3)!;
    expect(meter.rawMessage!(smuggled)).toBe(false);
    meter.message!(smuggled.toString('utf8'));
    expect(meter.reading().toolCalls).toBe(1);
  });

  it('lets the Responses meter count a delta message from its bytes exactly as from its text', () => {
    const payloads = [
      message('response.output_text.delta', { sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'héllo 😀 "x"\n', logprobs: [] }),
      message('response.function_call_arguments.delta', { sequence_number: 2, item_id: 'fc_1', output_index: 1, delta: '{"cmd":"ls"}' }),
    ];
    const bytes = openaiResponses.createMeter({ injectedUsage: false });
    const text = openaiResponses.createMeter({ injectedUsage: false });
    for (const payload of payloads) {
      expect(bytes.rawMessage!(payload)).toBe(true);
      text.message!(payload.toString('utf8'));
    }
    expect(bytes.reading()).toEqual(text.reading());
    expect(bytes.reading().outputChars).toBe('héllo 😀 "x"\n'.length + '{"cmd":"ls"}'.length);
  });
});
