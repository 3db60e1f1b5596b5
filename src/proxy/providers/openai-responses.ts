import { RawDeltaStream } from './raw-delta-stream.js';
import { deltaLayout, responsesDeltaLength, responsesMessageDeltaLength } from './responses-delta.js';
import { holdsNoneOf } from './raw-json.js';
import type { SseEvent } from '../sse-reader.js';
import { openaiResponsesToolSteps } from './tool-history.js';
import { asCount, asRecord, asString, tryParse } from './json.js';
import { compact, toolCall, withBodyModel, withoutNamedTools } from './request-edits.js';
import { emptyReading, type Meter, type MeterReading, type Provider, type RawEventStream, type RequestKind, type ToolCall } from './types.js';

/**
 * OpenAI Responses API (`POST /v1/responses`), the wire format Codex CLI speaks, over HTTP (JSON or
 * SSE) and over WebSocket (one JSON event per text frame, the same events as the SSE data).
 */

/**
 * The API rejects `max_output_tokens` below 16. The budget engine never clamps below its own floor
 * (256 tokens), so raising a smaller ceiling to 16 only matters for direct callers of withMaxTokens.
 */
import { openaiCacheHints } from './cache-hints.js';
import { openaiResponsesCounting } from './counting.js';
import { OPENAI_CACHE, OPENAI_HIDDEN } from './openai-chat.js';
export const MIN_MAX_OUTPUT_TOKENS = 16;

/** Events that end a response; only these carry `response.usage`. */
const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Output item types that are a tool call the model asked for, client-side or server-side
 * (openai-node `ResponseOutputItem` union). `*_output` items, `mcp_list_tools` and approval items
 * are not calls.
 */
const TOOL_CALL_ITEMS = new Set([
  'function_call',
  'custom_tool_call',
  'local_shell_call',
  'shell_call',
  'apply_patch_call',
  'web_search_call',
  'file_search_call',
  'code_interpreter_call',
  'computer_call',
  'mcp_call',
  'image_generation_call',
  'tool_search_call',
]);

/** Streamed events whose `delta` is generated text, reasoning or tool input (the output estimate). */
const DELTA_EVENTS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.reasoning_text.delta',
  'response.reasoning_summary_text.delta',
  'response.function_call_arguments.delta',
  'response.custom_tool_call_input.delta',
  'response.code_interpreter_call_code.delta',
  'response.mcp_call_arguments.delta',
]);
const DELTA_LAYOUT = deltaLayout(DELTA_EVENTS);

/**
 * Bytes that every tool call item holds (its type, closed by its quote): `_call"` for all the
 * `*_call` types. A message holding none of them, and no `\u` escape, carries no tool call.
 */
const TOOL_CALL_WORDS = [...new Set([...TOOL_CALL_ITEMS].map((t) => (t.endsWith('_call') ? '_call"' : `"${t}"`)))].map((w) => Buffer.from(w));

/** OpenAI error `type` and `code` by HTTP status. */
const ERROR_KINDS: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  402: { type: 'insufficient_quota', code: 'insufficient_quota' },
  403: { type: 'invalid_request_error', code: null },
  404: { type: 'invalid_request_error', code: null },
  413: { type: 'invalid_request_error', code: null },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
};

function classify(method: string, path: string): RequestKind {
  const p = path.replace(/\/+$/, '');
  // GET …/responses is the WebSocket upgrade Codex tries first; the proxy routes upgrades itself.
  if (p.endsWith('/responses')) return method === 'POST' ? 'generate' : 'free';
  // Codex's remote compaction: billed like a response, but without an output-limit field.
  if (method === 'POST' && p.endsWith('/responses/compact')) return 'generate';
  // Token counting names a model but generates nothing.
  if (method === 'POST' && p.endsWith('/responses/input_tokens')) return 'free';
  return method === 'POST' ? 'other' : 'free';
}

function floorMaxTokens(maxTokens: number): number {
  return Math.max(Math.floor(maxTokens), MIN_MAX_OUTPUT_TOKENS);
}

/**
 * `max_output_tokens` bounds visible output and reasoning together: a reasoning model clamped hard
 * may end `response.incomplete` (reason `max_output_tokens`) having spent it all on reasoning.
 */
function withMaxTokens(body: Record<string, unknown>, maxTokens: number): Record<string, unknown> {
  return { ...body, max_output_tokens: floorMaxTokens(maxTokens) };
}

/**
 * Maximum output tokens by model family, from OpenAI's model pages (platform.openai.com/docs/models,
 * "Max output tokens"), as mirrored in LiteLLM's model_prices_and_context_window.json: gpt-5-pro
 * 272,000; gpt-5 chat variants 16,384; gpt-5.x and the codex models 128,000; o1/o3/o4 100,000;
 * gpt-4.1 32,768; gpt-4o 16,384. Unknown models get 128,000: reserving too much only holds budget
 * back until the response settles, reserving too little lets a request overshoot.
 */
function defaultMaxTokens(model: string): number {
  const m = model.toLowerCase().replace(/^.*\//, '');
  if (m.startsWith('gpt-5-pro')) return 272_000;
  if (/^gpt-5[.\d]*-chat/.test(m)) return 16_384;
  if (m.startsWith('gpt-5') || m.includes('codex')) return 128_000;
  if (/^o\d/.test(m)) return 100_000;
  if (m.startsWith('gpt-4.1')) return 32_768;
  if (m.startsWith('gpt-4o') || m.startsWith('chatgpt-4o')) return 16_384;
  return 128_000;
}

class ResponsesMeter implements Meter {
  private toolName: string | undefined;

  lastTool(): string | undefined {
    return this.toolName;
  }

  private readonly r: MeterReading = emptyReading();
  private readonly seenIndexes = new Set<number>();
  private readonly seenIds = new Set<string>();
  private webSearches = 0;

  /** A text or arguments delta counts its length, read from the bytes (see responsesDeltaLength). */
  rawEvent(raw: Buffer): boolean {
    const chars = responsesDeltaLength(raw, DELTA_EVENTS);
    if (chars === null) return false;
    this.r.outputChars += chars;
    return true;
  }

  rawStream(): RawEventStream {
    return new RawDeltaStream(DELTA_LAYOUT, this.r);
  }

  /** A WebSocket text or arguments delta, the same way (responsesMessageDeltaLength). */
  rawMessage(payload: Buffer): boolean {
    const chars = responsesMessageDeltaLength(payload, DELTA_EVENTS);
    if (chars === null) return false;
    this.r.outputChars += chars;
    return true;
  }

  /** This meter drops and replaces nothing: a first event (response.created, over SSE or WebSocket) without a tool call in its bytes leads. */
  lead(raw: Buffer): Buffer | null {
    return holdsNoneOf(raw, TOOL_CALL_WORDS) ? raw : null;
  }

  event(e: SseEvent): 'forward' {
    this.data(e.data, e.event);
    return 'forward';
  }

  message(text: string): string | null {
    return this.data(text, null);
  }

  json(body: unknown): void {
    const response = asRecord(body);
    if (!response) {
      this.r.malformed++;
      return;
    }
    // An error body (`{"error": …}`) carries nothing billable.
    if (response.usage === undefined && response.output === undefined) return;
    this.response(response, true);
  }

  reading(): MeterReading {
    return { ...this.r, usage: { ...this.r.usage } };
  }

  peek(): Readonly<MeterReading> {
    return this.r;
  }

  /** Reads one event's data; returns its type (null when it has none). */
  private data(text: string, eventName: string | null): string | null {
    if (text.trim() === '[DONE]') return null;
    const msg = asRecord(tryParse(text));
    const type = asString(msg?.type) ?? eventName;
    if (!msg || type === null) {
      this.r.malformed++;
      return null;
    }
    if (DELTA_EVENTS.has(type)) {
      this.r.outputChars += asString(msg.delta)?.length ?? 0;
      return type;
    }
    if (type === 'response.output_item.added' || type === 'response.output_item.done') {
      this.item(msg.item, asCount(msg.output_index), false);
      return type;
    }
    const response = asRecord(msg.response);
    if (!response) return type;
    this.r.responseId = asString(response.id) ?? this.r.responseId ?? null;
    // response.created / in_progress / terminal events all name the model; the last one wins.
    this.r.model = asString(response.model) ?? this.r.model;
    // Deltas already counted the streamed text; the terminal snapshot adds only missed tool calls.
    if (TERMINAL_EVENTS.has(type)) this.response(response, false);
    return type;
  }

  /** A Response object: the JSON body, or the snapshot a terminal event carries. */
  private response(response: Record<string, unknown>, countText: boolean): void {
    this.r.model = asString(response.model) ?? this.r.model;
    this.r.responseId = asString(response.id) ?? this.r.responseId ?? null;
    if (Array.isArray(response.output)) {
      response.output.forEach((item, index) => this.item(item, index, countText));
    }
    this.usage(response.usage);
  }

  /** Counts a tool call once, whether it arrives as output_item.added, .done or in a snapshot. */
  private item(value: unknown, outputIndex: number | undefined, countText: boolean): void {
    const item = asRecord(value);
    if (!item) return;
    if (countText) this.r.outputChars += itemChars(item);
    const type = asString(item.type);
    if (type === undefined || !TOOL_CALL_ITEMS.has(type)) return;
    const id = asString(item.id);
    const seen = (outputIndex !== undefined && this.seenIndexes.has(outputIndex)) || (id !== undefined && this.seenIds.has(id));
    if (outputIndex !== undefined) this.seenIndexes.add(outputIndex);
    if (id !== undefined) this.seenIds.add(id);
    if (seen) return;
    this.r.toolCalls++;
    this.toolName = asString(item.name) ?? type;
    if (type === 'web_search_call') {
      // Web search is billed per call, on top of tokens.
      this.webSearches++;
      this.r.usage.webSearches = this.webSearches;
    }
  }

  /** `input_tokens` INCLUDES cached tokens; BillableUsage.input excludes them. */
  private usage(value: unknown): void {
    const usage = asRecord(value);
    if (!usage) return;
    const u = this.r.usage;
    const total = asCount(usage.input_tokens);
    if (total !== undefined) {
      const cached = Math.min(asCount(asRecord(usage.input_tokens_details)?.cached_tokens) ?? 0, total);
      u.input = total - cached;
      u.cacheRead = cached;
    }
    // output_tokens already includes output_tokens_details.reasoning_tokens.
    const output = asCount(usage.output_tokens);
    if (output !== undefined) {
      u.output = output;
      this.r.complete = true;
    }
  }
}

/** Characters of generated content in one output item (non-streamed bodies only). */
function itemChars(item: Record<string, unknown>): number {
  let chars = 0;
  for (const key of ['arguments', 'input', 'code'] as const) chars += asString(item[key])?.length ?? 0;
  for (const key of ['content', 'summary'] as const) {
    const parts = item[key];
    if (!Array.isArray(parts)) continue;
    for (const part of parts) {
      const p = asRecord(part);
      chars += (asString(p?.text) ?? asString(p?.refusal) ?? '').length;
    }
  }
  return chars;
}

/**
 * Reads a client's WebSocket message (parsed; undefined when it is not JSON). A `response.create`
 * carries the request fields at the top level next to `type` (codex-rs `ResponsesWsRequest` is
 * `#[serde(tag = "type")]` over `ResponseCreateWsRequest`), so the body is the frame without
 * `type`. Anything else (`response.processed`, older `response.append`, unreadable text) is `other`.
 */
export function createRequest(message: unknown): { kind: 'create'; body: Record<string, unknown> } | { kind: 'other' } {
  const msg = asRecord(message);
  if (!msg || msg.type !== 'response.create') return { kind: 'other' };
  const body: Record<string, unknown> = { ...msg };
  delete body.type;
  return { kind: 'create', body };
}

/** The `response.create` message carrying `body` (createRequest's inverse). */
export function createFrame(body: Record<string, unknown>): Record<string, unknown> {
  return { type: 'response.create', ...body };
}

/**
 * A refusal as a WebSocket text frame. Codex maps an `error` frame with a `status` to that HTTP
 * status; 400 becomes a non-retryable invalid-request error that shows the message, where a 402
 * would be retried and then make Codex fall back from WebSocket to HTTPS.
 */
export function websocketError(message: string): string {
  return JSON.stringify({
    type: 'error',
    status: 400,
    error: { type: 'invalid_request_error', code: null, message, param: null },
  });
}

/**
 * Whether a server WebSocket message of this type (as the meter read it) ends the response it
 * belongs to: a terminal event, or an `error` frame (Codex drops the stream on one, and no
 * terminal event follows it).
 */
export function isTerminalType(type: string | null): boolean {
  return type === 'error' || (type !== null && TERMINAL_EVENTS.has(type));
}

export const openaiResponses: Provider = {
  id: 'openai-responses',
  historyKey: 'input',
  pricingId: 'openai',
  // OpenAI clients' base URLs include /v1, so paths below it are `/responses`.
  defaultUpstream: 'https://api.openai.com/v1',
  // 400 is the one status Codex neither retries nor hides (codex-api/src/api_bridge.rs).
  limitStatus: 400,
  classify,
  inspect(body, path) {
    const b = asRecord(body);
    return {
      model: asString(b?.model) ?? null,
      // Codex's warm-up (`generate: false`) produces no output.
      maxTokens: b?.generate === false ? 0 : (asCount(b?.max_output_tokens) ?? null),
      stream: b?.stream === true,
      clampable: !path.replace(/\/+$/, '').endsWith('/compact'),
    };
  },
  // Usage always arrives on the terminal event; nothing to ask for.
  prepare: () => null,
  withMaxTokens,
  withModel: withBodyModel,
  withoutTools: withoutNamedTools,
  lastToolCalls(body) {
    // Input items after the last user message: the calls of the latest turn.
    const input = Array.isArray(body.input) ? body.input : [];
    const calls: ToolCall[] = [];
    for (let i = input.length - 1; i >= 0; i--) {
      const item = asRecord(input[i]);
      if (!item || item.role === 'user') break;
      if (item.type === 'function_call') calls.unshift(...compact([toolCall(item.name, item.arguments)]));
      else if (item.type === 'custom_tool_call') calls.unshift(...compact([toolCall(item.name, item.input)]));
      else if (item.type === 'local_shell_call') calls.unshift(...compact([toolCall('local_shell', asRecord(item.action))]));
    }
    return calls;
  },
  toolSteps: openaiResponsesToolSteps,
  defaultMaxTokens,
  createMeter: () => new ResponsesMeter(),
  // Deltas only add to the output characters; tool calls are counted on output items.
  passThroughEvents: DELTA_EVENTS,
  cache: OPENAI_CACHE,
  cacheHints: openaiCacheHints,
  hiddenMarkers: OPENAI_HIDDEN,
  counting: openaiResponsesCounting,
  websocket: { createRequest, frameWith: createFrame, errorMessage: websocketError, isTerminal: isTerminalType },
  error(status, message) {
    const kind = ERROR_KINDS[status] ?? (status >= 500 ? { type: 'api_error', code: null } : { type: 'invalid_request_error', code: null });
    return { status, body: JSON.stringify({ error: { message, type: kind.type, param: null, code: kind.code } }) };
  },
  /**
   * A terminal `response.failed`. Not `insufficient_quota`: Codex would stop but show its own fixed
   * quota text instead of this message. With `invalid_request_error` newer Codex versions stop and
   * show the message; older ones retry, and the retry gets capped's 400 refusal, which they show.
   */
  streamError(message, retryable = false) {
    const event = {
      type: 'response.failed',
      response: {
        id: 'resp_capped',
        object: 'response',
        created_at: Math.floor(Date.now() / 1000),
        status: 'failed',
        error: { code: retryable ? 'server_error' : 'invalid_request_error', message },
        incomplete_details: null,
        output: [],
        usage: null,
      },
    };
    return `event: response.failed\ndata: ${JSON.stringify(event)}\n\n`;
  },
};
