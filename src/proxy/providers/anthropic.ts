import { deltaLayout, deltaTextLength } from './anthropic-delta.js';
import { RawDeltaStream } from './raw-delta-stream.js';
import { holdsNoneOf } from './raw-json.js';
import { anthropicCacheHints, anthropicMinCacheTokens } from './cache-hints.js';
import { anthropicToolSteps } from './tool-history.js';
import { anthropicCounting } from './counting.js';
import type { SseEvent } from '../sse-reader.js';
import { asCount, asRecord, asString, tryParse } from './json.js';
import { compact, lastWhere, toolCall, withBodyModel, withoutNamedTools } from './request-edits.js';
import { emptyReading, type Meter, type MeterReading, type Provider, type RawEventStream, type RequestKind } from './types.js';

/** Smallest thinking budget Anthropic accepts; below it thinking must be turned off. */
const MIN_THINKING_BUDGET = 1024;

/** In every tool call's bytes: the end of its block's type, `tool_use` or `server_tool_use` (block()). */
const TOOL_USE_WORDS = [Buffer.from('tool_use"')];

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  529: 'overloaded_error',
};

function classify(method: string, path: string): RequestKind {
  const p = path.replace(/\/+$/, '');
  // `/v1/messages` from Anthropic SDKs; `/messages` from AI-SDK agents whose base URL holds the `/v1`.
  if (method === 'POST' && p.endsWith('/messages')) return 'generate';
  if (method === 'POST' && p.endsWith('/messages/count_tokens')) return 'free';
  return method === 'POST' ? 'other' : 'free';
}

function withMaxTokens(body: Record<string, unknown>, maxTokens: number): Record<string, unknown> {
  const next: Record<string, unknown> = { ...body, max_tokens: maxTokens };
  const thinking = asRecord(body.thinking);
  const budget = asCount(thinking?.budget_tokens);
  // Anthropic requires MIN_THINKING_BUDGET <= budget_tokens < max_tokens: shrink thinking with the
  // ceiling, or turn it off when the ceiling leaves no room for it.
  if (thinking && thinking.type === 'enabled' && budget !== undefined && budget >= maxTokens) {
    if (maxTokens - 1 >= MIN_THINKING_BUDGET) next.thinking = { ...thinking, budget_tokens: maxTokens - 1 };
    else next.thinking = { type: 'disabled' };
  }
  return next;
}

class AnthropicMeter implements Meter {
  private toolName: string | undefined;

  lastTool(): string | undefined {
    return this.toolName;
  }

  private readonly r: MeterReading = emptyReading();

  /** A content delta counts its text's length, read from the bytes (see deltaTextLength). */
  rawEvent(raw: Buffer): boolean {
    const chars = deltaTextLength(raw);
    if (chars === null) return false;
    this.r.outputChars += chars;
    return true;
  }

  /** This meter drops and replaces nothing: a first event (message_start) without a tool call in its bytes leads. */
  lead(raw: Buffer): Buffer | null {
    return holdsNoneOf(raw, TOOL_USE_WORDS) ? raw : null;
  }

  /** A content delta streaming through in pieces, counted the same way as they pass. */
  rawStream(): RawEventStream {
    return new RawDeltaStream(deltaLayout, this.r);
  }

  event(e: SseEvent): 'forward' {
    const data = tryParse(e.data);
    const msg = asRecord(data);
    if (!msg) {
      this.r.malformed++;
      return 'forward';
    }
    switch (msg.type) {
      case 'message_start': {
        const message = asRecord(msg.message);
        this.r.model = asString(message?.model) ?? this.r.model;
        this.usage(message?.usage, false);
        break;
      }
      case 'message_delta':
        this.usage(msg.usage, true);
        break;
      case 'content_block_start':
        this.block(msg.content_block);
        break;
      case 'content_block_delta': {
        const delta = asRecord(msg.delta);
        const text = asString(delta?.text) ?? asString(delta?.thinking) ?? asString(delta?.partial_json) ?? '';
        this.r.outputChars += text.length;
        break;
      }
    }
    return 'forward';
  }

  json(body: unknown): void {
    const msg = asRecord(body);
    if (!msg) {
      this.r.malformed++;
      return;
    }
    if (msg.type !== 'message') return;
    this.r.model = asString(msg.model) ?? this.r.model;
    if (Array.isArray(msg.content)) for (const block of msg.content) this.block(block);
    this.usage(msg.usage, true);
  }

  reading(): MeterReading {
    return { ...this.r, usage: { ...this.r.usage } };
  }

  peek(): Readonly<MeterReading> {
    return this.r;
  }

  private block(value: unknown): void {
    const block = asRecord(value);
    if (!block) return;
    if (block.type === 'tool_use' || block.type === 'server_tool_use') {
      this.r.toolCalls++;
      this.toolName = asString(block.name) ?? String(block.type);
    }
    const text = asString(block.text) ?? asString(block.thinking) ?? '';
    this.r.outputChars += text.length;
    if (block.type === 'tool_use' && block.input !== undefined) this.r.outputChars += JSON.stringify(block.input).length;
  }

  /** Usage fields are cumulative snapshots: the last value of each field wins, never a sum. */
  private usage(value: unknown, final: boolean): void {
    const usage = asRecord(value);
    if (!usage) return;
    const u = this.r.usage;
    u.input = asCount(usage.input_tokens) ?? u.input;
    u.cacheRead = asCount(usage.cache_read_input_tokens) ?? u.cacheRead;
    const creation = asRecord(usage.cache_creation);
    const total = asCount(usage.cache_creation_input_tokens);
    const fiveMin = asCount(creation?.ephemeral_5m_input_tokens);
    const oneHour = asCount(creation?.ephemeral_1h_input_tokens);
    if (fiveMin !== undefined || oneHour !== undefined) {
      u.cacheWrite5m = fiveMin ?? 0;
      u.cacheWrite1h = oneHour ?? 0;
    } else if (total !== undefined && (u.cacheWrite5m ?? 0) + (u.cacheWrite1h ?? 0) !== total) {
      // Without a TTL breakdown, tokens not already known to be 1-hour writes take the API's
      // default TTL (5 minutes).
      u.cacheWrite1h = Math.min(u.cacheWrite1h ?? 0, total);
      u.cacheWrite5m = total - u.cacheWrite1h;
    }
    u.webSearches = asCount(asRecord(usage.server_tool_use)?.web_search_requests) ?? u.webSearches;
    const output = asCount(usage.output_tokens);
    if (output !== undefined) u.output = output;
    if (final && output !== undefined) this.r.complete = true;
  }
}

export const anthropic: Provider = {
  id: 'anthropic',
  historyKey: 'messages',
  pricingId: 'anthropic',
  defaultUpstream: 'https://api.anthropic.com',
  limitStatus: 402,
  classify,
  inspect(body) {
    const b = asRecord(body);
    return {
      model: asString(b?.model) ?? null,
      maxTokens: asCount(b?.max_tokens) ?? null,
      stream: b?.stream === true,
      clampable: true,
    };
  },
  prepare: () => null,
  withMaxTokens,
  withModel: withBodyModel,
  withoutTools: withoutNamedTools,
  lastToolCalls(body) {
    // The last assistant message's tool_use blocks: what the agent has just run.
    const content = lastWhere(body.messages, (m) => (m.role === 'assistant' ? m.content : undefined));
    return Array.isArray(content)
      ? compact(content.map((b) => (asRecord(b)?.type === 'tool_use' ? toolCall(asRecord(b)?.name, asRecord(b)?.input) : null)))
      : [];
  },
  toolSteps: anthropicToolSteps,
  defaultMaxTokens: () => 64_000,
  createMeter: () => new AnthropicMeter(),
  // Text, thinking and tool-input deltas: a tool call is counted at its content_block_start.
  passThroughEvents: new Set(['content_block_delta', 'ping']),
  cache: { kind: 'explicit', minTokens: anthropicMinCacheTokens },
  cacheHints: anthropicCacheHints,
  // Documents and images by file id or URL: their tokens are not in the body's bytes.
  hiddenMarkers: ['"file_id"', '"type":"url"', '"type": "url"'],
  counting: anthropicCounting,
  error(status, message) {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return { status, body: JSON.stringify({ type: 'error', error: { type, message } }) };
  },
  streamError(message, retryable = false) {
    const type = retryable ? 'overloaded_error' : 'billing_error';
    return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`;
  },
};
