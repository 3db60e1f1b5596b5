import { openaiCacheHints } from './cache-hints.js';
import { openaiChatToolSteps } from './tool-history.js';
import type { CacheRules } from '../input-prediction.js';
import type { SseEvent } from '../sse-reader.js';
import { asCount, asRecord, asString, tryParse } from './json.js';
import { bytesAt, holdsNoneOf } from './raw-json.js';
import { compact, lastWhere, toolCall, withBodyModel, withoutNamedTools } from './request-edits.js';
import { emptyReading, type EventVerdict, type Meter, type MeterReading, type Prepared, type Provider, type RequestInfo, type RequestKind } from './types.js';
import { CR, LF, QUOTE } from '../shared-bytes.js';

/**
 * Maximum output tokens per model family, used to reserve for a request that sets no ceiling.
 * Source: the "Max output tokens" of each model page on platform.openai.com/docs/models (gpt-5
 * family 128,000; o1/o3/o4-mini 100,000; gpt-4.1 family 32,768; gpt-4o family 16,384; gpt-4-turbo
 * and gpt-3.5-turbo 4,096). The first matching prefix wins, so longer prefixes come first. A model
 * not listed reserves UNKNOWN_MODEL_MAX_OUTPUT: too much reserved only delays a request near the
 * cap, too little lets it overshoot.
 */
const MAX_OUTPUT_BY_PREFIX: ReadonlyArray<readonly [string, number]> = [
  ['gpt-5', 128_000],
  ['o1-mini', 65_536],
  ['o1-preview', 32_768],
  ['o1', 100_000],
  ['o3', 100_000],
  ['o4', 100_000],
  ['gpt-4.1', 32_768],
  ['gpt-4.5', 16_384],
  ['gpt-4o', 16_384],
  ['chatgpt-4o', 16_384],
  ['gpt-4-turbo', 4_096],
  ['gpt-4', 8_192],
  ['gpt-3.5', 4_096],
];
const UNKNOWN_MODEL_MAX_OUTPUT = 128_000;

/**
 * OpenAI's error `type` and `code` per status, as OpenAI itself answers: 400/404/413 are
 * `invalid_request_error`, a rate limit is 429 `requests` + `rate_limit_exceeded`, 5xx are
 * `server_error` (the proxy's own 502, upstream unreachable, included). The SDKs pick their error
 * class and their retries by status alone (402 is never retried); `type`/`code` matter to agents
 * that read them. A budget refusal (402) says `insufficient_quota`, OpenAI's code for "out of money":
 * openai/codex maps that code to its non-retryable QuotaExceeded, though only inside a failed
 * Responses stream (codex-api sse/responses.rs); over HTTP it decides by status.
 */
const ERRORS: Record<number, { type: string; code: string | null }> = {
  402: { type: 'insufficient_quota', code: 'insufficient_quota' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
};

function errorJson(status: number, message: string): string {
  const known = ERRORS[status];
  const { type, code } = known ?? { type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null };
  return JSON.stringify({ error: { message, type, param: null, code } });
}

function classify(method: string, path: string): RequestKind {
  const p = path.replace(/\/+$/, '');
  // The base URL clients use includes /v1, so the path is usually `/chat/completions`; some send
  // the full `/v1/chat/completions`. `/chat/completions/{id}` (stored completions) is not generation.
  if (method === 'POST' && p.endsWith('/chat/completions')) return 'generate';
  return method === 'POST' ? 'other' : 'free';
}

function inspect(body: unknown): RequestInfo {
  const b = asRecord(body);
  return {
    model: asString(b?.model) || null,
    maxTokens: asCount(b?.max_completion_tokens) ?? asCount(b?.max_tokens) ?? null,
    stream: b?.stream === true,
    clampable: true,
  };
}

function prepare(body: Record<string, unknown>, info: RequestInfo): Prepared | null {
  if (!info.stream) return null;
  const options = asRecord(body.stream_options);
  if (options?.include_usage === true) return null;
  // Without include_usage a stream carries no usage at all; the meter drops the extra chunk again.
  return { body: { ...body, stream_options: { ...options, include_usage: true } }, injectedUsage: true };
}

/**
 * Lowers the ceiling in the field the client used. `max_tokens` is deprecated and rejected by
 * o-series models, so a request that set neither gets `max_completion_tokens`. A field the client
 * did not send is never added beside the other one; if it sent both, neither stays above the new
 * ceiling.
 */
function withMaxTokens(body: Record<string, unknown>, maxTokens: number): Record<string, unknown> {
  const completion = asCount(body.max_completion_tokens);
  const legacy = asCount(body.max_tokens);
  if (legacy !== undefined && completion === undefined) return { ...body, max_tokens: maxTokens };
  const next: Record<string, unknown> = { ...body, max_completion_tokens: maxTokens };
  if (legacy !== undefined) next.max_tokens = Math.min(legacy, maxTokens);
  return next;
}

function defaultMaxTokens(model: string): number {
  // Gateways (OpenRouter, LiteLLM) prefix the vendor: `openai/gpt-4o`.
  const name = model.toLowerCase().slice(model.lastIndexOf('/') + 1);
  for (const [prefix, max] of MAX_OUTPUT_BY_PREFIX) if (name.startsWith(prefix)) return max;
  return UNKNOWN_MODEL_MAX_OUTPUT;
}

/** The keys the meter counts a tool call by; with usage it asked for, also what it drops or replaces. */
const CALL_WORDS = [Buffer.from('tool_calls'), Buffer.from('function_call')];
const CALL_OR_USAGE_WORDS = [...CALL_WORDS, Buffer.from('usage')];

const NULL_USAGE = Buffer.from(',"usage":null');
const OBFUSCATION = Buffer.from(',"obfuscation":"');
const DATA_OBJECT = Buffer.from('data: {');
const OBJECT_END = Buffer.from('}\n\n');

/**
 * Where a chunk's `,"usage":null` starts when it is the chunk's last member, or last but for the
 * `obfuscation` string OpenAI pads chunks with: `data: {…,"usage":null}` or `data:
 * {…,"usage":null,"obfuscation":"…"}`, one line. Only then is it the top-level member by its
 * bytes alone. -1 otherwise.
 */
function trailingNullUsage(raw: Buffer): number {
  const close = raw.length - OBJECT_END.length;
  if (!bytesAt(raw, DATA_OBJECT, 0) || !bytesAt(raw, OBJECT_END, close)) return -1;
  if (raw.indexOf(LF) !== close + 1 || raw.indexOf(CR) !== -1) return -1;
  if (bytesAt(raw, NULL_USAGE, close - NULL_USAGE.length)) return close - NULL_USAGE.length;
  if (raw[close - 1] !== QUOTE) return -1;
  // The padding's opening quote, preceded by its key (an escaped quote in it is not: `\"`).
  const open = raw.lastIndexOf(QUOTE, close - 2);
  const key = open + 1 - OBFUSCATION.length;
  if (!bytesAt(raw, OBFUSCATION, key)) return -1;
  return bytesAt(raw, NULL_USAGE, key - NULL_USAGE.length) ? key - NULL_USAGE.length : -1;
}

class OpenAIChatMeter implements Meter {
  private readonly r: MeterReading = emptyReading();
  /** Tool calls already counted, keyed by choice and call index (or id when a server omits the index). */
  private readonly calls = new Set<string>();

  constructor(private readonly injectedUsage: boolean) {}

  event(e: SseEvent): EventVerdict {
    if (e.data.trim() === '[DONE]') return 'forward';
    const chunk = asRecord(tryParse(e.data));
    if (!chunk) {
      this.r.malformed++;
      return 'forward';
    }
    // A mid-stream failure arrives as `data: {"error": {...}}`: nothing to count, the client sees it.
    if (asRecord(chunk.error) && chunk.choices === undefined) return 'forward';
    this.r.model = asString(chunk.model) || this.r.model;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : [];
    choices.forEach((value, position) => {
      const choice = asRecord(value);
      const delta = asRecord(choice?.delta);
      if (delta) this.readMessage(delta, asCount(choice?.index) ?? position, true);
    });
    const usage = asRecord(chunk.usage);
    if (usage) this.usage(usage);
    // Every chunk carries `usage: null` once usage is requested; only the extra final chunk has
    // usage and no choices, and it exists only because the proxy asked for it.
    if (this.injectedUsage && usage && Array.isArray(chunk.choices) && choices.length === 0) return 'drop';
    // The other chunks then carry `"usage":null`, which the client did not ask for: take out just
    // that member, every other byte as it came.
    if (this.injectedUsage && chunk.usage === null) {
      const data = e.data.replace(/,\s*"usage"\s*:\s*null(?=\s*[,}])|"usage"\s*:\s*null\s*,\s*/, '');
      // Data over several lines stays so: each line its own `data:` field.
      if (data !== e.data) return { replace: `data: ${data.split('\n').join('\ndata: ')}\n\n` };
    }
    return 'forward';
  }

  /**
   * A first chunk without a tool call leads. With the usage capped asked for, every chunk holds
   * `"usage":null`, which event() takes out: a chunk whose only `usage` is that member, last
   * (trailingNullUsage), leads without those bytes, and one holding no `usage` at all as it is.
   */
  lead(raw: Buffer): Buffer | null {
    if (!this.injectedUsage) return holdsNoneOf(raw, CALL_WORDS) ? raw : null;
    if (holdsNoneOf(raw, CALL_OR_USAGE_WORDS)) return raw;
    const at = trailingNullUsage(raw);
    if (at === -1) return null;
    const edited = Buffer.concat([raw.subarray(0, at), raw.subarray(at + NULL_USAGE.length)]);
    return holdsNoneOf(edited, CALL_OR_USAGE_WORDS) ? edited : null;
  }

  json(body: unknown): void {
    const completion = asRecord(body);
    if (!completion) {
      this.r.malformed++;
      return;
    }
    if (asRecord(completion.error) && completion.choices === undefined) return;
    this.r.model = asString(completion.model) || this.r.model;
    if (Array.isArray(completion.choices)) {
      completion.choices.forEach((value: unknown, position) => {
        const choice = asRecord(value);
        const message = asRecord(choice?.message);
        if (message) this.readMessage(message, asCount(choice?.index) ?? position, false);
      });
    }
    const usage = asRecord(completion.usage);
    if (usage) this.usage(usage);
  }

  reading(): MeterReading {
    return { ...this.r, usage: { ...this.r.usage } };
  }

  peek(): Readonly<MeterReading> {
    return this.r;
  }

  /** A streamed delta or a whole message: its text, reasoning, refusal and tool calls. */
  private readMessage(m: Record<string, unknown>, choice: number, streamed: boolean): void {
    // Reasoning text is not sent by OpenAI itself; compatible servers name it `reasoning_content`
    // (DeepSeek, vLLM) or `reasoning` (OpenRouter, Ollama), some both with the same text.
    const reasoning = asString(m.reasoning_content) ?? asString(m.reasoning);
    for (const text of [m.content, m.refusal, reasoning]) this.r.outputChars += asString(text)?.length ?? 0;
    if (Array.isArray(m.tool_calls)) {
      m.tool_calls.forEach((value: unknown, position) => {
        const call = asRecord(value);
        if (!call) return;
        const fn = asRecord(call.function);
        const custom = asRecord(call.custom);
        this.r.outputChars += (asString(fn?.arguments) ?? asString(custom?.input) ?? '').length;
        // In a stream the first delta of a call has `index`, `id` and `function.name`; later deltas
        // of the same call repeat only `index`. A whole message lists each call once.
        const index = asCount(call.index);
        const id = asString(call.id);
        const key = !streamed ? `${choice}:#${position}` : index !== undefined ? `${choice}:${index}` : id ? `${choice}:id:${id}` : null;
        if (key !== null) this.countCall(key);
      });
    }
    // The deprecated single `function_call` (one per choice) from the `functions` request field.
    const legacy = asRecord(m.function_call);
    if (legacy) {
      this.r.outputChars += asString(legacy.arguments)?.length ?? 0;
      if (!streamed || asString(legacy.name)) this.countCall(`${choice}:function_call`);
    }
  }

  private countCall(key: string): void {
    if (this.calls.has(key)) return;
    this.calls.add(key);
    this.r.toolCalls++;
  }

  /**
   * `prompt_tokens` INCLUDES cached tokens (and, on gateways that report them, cache writes);
   * BillableUsage.input excludes both. `completion_tokens` already includes reasoning tokens.
   */
  private usage(usage: Record<string, unknown>): void {
    const prompt = asCount(usage.prompt_tokens);
    const output = asCount(usage.completion_tokens);
    if (prompt === undefined && output === undefined) return;
    const details = asRecord(usage.prompt_tokens_details);
    const u = this.r.usage;
    if (prompt !== undefined) {
      const cached = Math.min(asCount(details?.cached_tokens) ?? 0, prompt);
      const written = Math.min(asCount(details?.cache_write_tokens) ?? 0, prompt - cached);
      u.input = prompt - cached - written;
      u.cacheRead = cached;
      u.cacheWrite5m = written;
      u.cacheWrite1h = 0;
      u.webSearches = 0;
    }
    if (output !== undefined) u.output = output;
    if (prompt !== undefined && output !== undefined) this.r.complete = true;
  }
}

/** OpenAI caches prompts of 1,024 tokens or more on its own, in steps of 128 tokens. */
export const OPENAI_CACHE: CacheRules = { kind: 'automatic', minTokens: 1024, step: 128 };

/** File ids and images or files by URL: their tokens are not in the body's bytes. */
export const OPENAI_HIDDEN = ['"file_id"', '"file_url"', '"image_url":"http', '"image_url": "http', '"url":"http', '"url": "http'];

export const openaiChat: Provider = {
  id: 'openai-chat',
  historyKey: 'messages',
  pricingId: 'openai',
  // OpenAI clients' base URL includes /v1, so request paths arrive as `/chat/completions`.
  defaultUpstream: 'https://api.openai.com/v1',
  // 400: every OpenAI client surfaces it at once; Codex retries 402 several times.
  limitStatus: 400,
  classify,
  inspect,
  prepare,
  withMaxTokens,
  withModel: withBodyModel,
  withoutTools: withoutNamedTools,
  lastToolCalls(body) {
    const calls = lastWhere(body.messages, (m) => (m.role === 'assistant' ? m.tool_calls : undefined));
    return Array.isArray(calls) ? compact(calls.map((c) => toolCall(asRecord(asRecord(c)?.function)?.name, asRecord(asRecord(c)?.function)?.arguments))) : [];
  },
  toolSteps: openaiChatToolSteps,
  defaultMaxTokens,
  createMeter: ({ injectedUsage }) => new OpenAIChatMeter(injectedUsage),
  cache: OPENAI_CACHE,
  cacheHints: openaiCacheHints,
  hiddenMarkers: OPENAI_HIDDEN,
  error(status, message) {
    return { status, body: errorJson(status, message) };
  },
  streamError(message, retryable = false) {
    // OpenAI SDKs throw an APIError for a data event whose JSON has `error` (no event name needed).
    return `data: ${errorJson(retryable ? 500 : 402, message)}\n\n`;
  },
};
