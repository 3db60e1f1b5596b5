import { geminiCacheHints } from './cache-hints.js';
import { geminiToolSteps } from './tool-history.js';
import { geminiCounting } from './counting.js';
import type { SseEvent } from '../sse-reader.js';
import { asCount, asRecord, asString, tryParse } from './json.js';
import { holdsNoneOf } from './raw-json.js';
import { compact, lastWhere, toolCall } from './request-edits.js';
import { emptyReading, type ErrorBody, type Meter, type MeterReading, type Provider, type RequestKind } from './types.js';

/**
 * Google Gemini API (generativelanguage.googleapis.com), as @google/genai and Gemini CLI call it:
 * `POST {base}/{version}/models/{model}:streamGenerateContent?alt=sse` (js-genai joins its baseUrl,
 * its apiVersion, default `v1beta`, and the path `models/{model}:{action}`). The model and whether
 * the answer streams live in the path, not the body.
 */

/** Actions that generate (and bill) content. */
const GENERATE_ACTIONS = new Set(['generateContent', 'streamGenerateContent']);

/**
 * `{collection}/{name}:{action}` at the end of the path, after URL-decoding. `models` covers the
 * Gemini API and Vertex's `publishers/google/models`; `tunedModels` are Gemini API tuned models.
 */
const TARGET = /(?:^|\/)(models|tunedModels)\/([^/:]+):([A-Za-z]+)$/;

interface Target {
  model: string;
  action: string;
}

function parseTarget(path: string): Target | null {
  let decoded: string;
  try {
    // Clients may encode the `:` (or the `/` of `models/x`) of the resource name.
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  const m = TARGET.exec(decoded.replace(/\/+$/, ''));
  if (!m?.[2] || !m[3]) return null;
  return { model: m[1] === 'tunedModels' ? `tunedModels/${m[2]}` : m[2], action: m[3] };
}

function classify(method: string, path: string): RequestKind {
  // Model listings and lookups (GET) cost nothing.
  if (method !== 'POST') return 'free';
  const target = parseTarget(path);
  if (!target) return 'other';
  // Tuned models generate (and bill) like base models: metering them means their unknown price
  // is refused unless configured, where 'other' would pass them through (their body names no
  // model).
  if (GENERATE_ACTIONS.has(target.action)) return 'generate';
  if (target.action === 'countTokens') return 'free';
  // embedContent, batchEmbedContents, batchGenerateContent, predict, ...
  return 'other';
}

/**
 * The REST API also accepts proto field names (`generation_config`); keep whichever spelling the
 * client used so the request never carries both.
 */
function key(obj: Record<string, unknown> | undefined, camel: string, snake: string): string {
  return obj && !(camel in obj) && snake in obj ? snake : camel;
}

function generationConfig(body: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return asRecord(body?.[key(body, 'generationConfig', 'generation_config')]);
}

/**
 * A thinking budget every Gemini 2.5 model accepts (Pro 128..32768, Flash 0..24576, Flash-Lite
 * 512..24576 per Google's thinking guide); a budget outside a model's range is a 400.
 */
const SAFE_THINKING_BUDGET = 512;

function withMaxTokens(body: Record<string, unknown>, maxTokens: number): Record<string, unknown> {
  const configKey = key(body, 'generationConfig', 'generation_config');
  const config = asRecord(body[configKey]) ?? {};
  const next: Record<string, unknown> = { ...config, [key(config, 'maxOutputTokens', 'max_output_tokens')]: maxTokens };
  const thinkingKey = key(config, 'thinkingConfig', 'thinking_config');
  const thinking = asRecord(config[thinkingKey]);
  const budgetKey = key(thinking, 'thinkingBudget', 'thinking_budget');
  const budget = thinking?.[budgetKey];
  // Thoughts bill as output and count against maxOutputTokens (reported for 2.5 and 3 models:
  // googleapis/python-genai#2062), so maxOutputTokens is the real ceiling; thinkingBudget is only a
  // hint the model may overrun (python-genai#1795). Still shrink a larger explicit budget with the
  // ceiling, never below a value the model is known to accept (the client's own budget, or one
  // valid for every model), since withMaxTokens cannot see the model (it is in the path). 0 (off)
  // and -1 (dynamic) are left alone; a missing budget is not added (Gemini 3 rejects a budget set
  // together with thinkingLevel).
  // Thinking up to the whole ceiling would leave no room for an answer (it ends MAX_TOKENS with no
  // text, and Gemini CLI retries), so a budget that does not fit is cut to half the ceiling.
  if (thinking && typeof budget === 'number' && Number.isFinite(budget) && budget > maxTokens / 2) {
    next[thinkingKey] = { ...thinking, [budgetKey]: Math.max(Math.floor(maxTokens / 2), Math.min(budget, SAFE_THINKING_BUDGET, maxTokens - 1)) };
  }
  return { ...body, [configKey]: next };
}

/**
 * Maximum output tokens per model family, from Google's model pages (ai.google.dev/gemini-api/docs/models):
 * Gemini 2.5 Pro / Flash / Flash-Lite and Gemini 3 models 65,536 (Vertex lists 65,535); Gemini 2.0
 * Flash / Flash-Lite and 1.5 Pro / Flash 8,192; Gemma 3 8,192. Unknown models get the largest
 * current ceiling so a reservation is never too small.
 */
function defaultMaxTokens(model: string): number {
  const m = model.toLowerCase().replace(/^models\//, '');
  if (/^gemini-(2\.0|1\.5|1\.0)/.test(m) || m.startsWith('gemini-pro') || m.startsWith('gemma')) return 8192;
  return 65_536;
}

/** The one key the meter counts a tool call by. */
const CALL_WORDS = [Buffer.from('functionCall')];

class GeminiMeter implements Meter {
  private toolName: string | undefined;

  lastTool(): string | undefined {
    return this.toolName;
  }

  private readonly r: MeterReading = emptyReading();
  /** A candidate finished (finishReason) or the prompt was blocked: the next usage is final. */
  private finished = false;
  /** Candidates whose last functionCall part announced more of the same call (`willContinue`). */
  private readonly continuing = new Set<number>();

  /** Each SSE event is `data: {GenerateContentResponse}`: no event names, no [DONE]. */
  event(e: SseEvent): 'forward' {
    const data = tryParse(e.data);
    if (data === undefined) this.r.malformed++;
    else this.response(data);
    return 'forward';
  }

  /** This meter drops and replaces nothing: a first event without a function call may lead. */
  lead(raw: Buffer): Buffer | null {
    return holdsNoneOf(raw, CALL_WORDS) ? raw : null;
  }

  /** One GenerateContentResponse, or (streamGenerateContent without alt=sse) a JSON array of them. */
  json(body: unknown): void {
    if (Array.isArray(body)) for (const item of body) this.response(item);
    else this.response(body);
  }

  reading(): MeterReading {
    return { ...this.r, usage: { ...this.r.usage } };
  }

  peek(): Readonly<MeterReading> {
    return this.r;
  }

  private response(value: unknown): void {
    const res = asRecord(value);
    if (!res) {
      this.r.malformed++;
      return;
    }
    // An error body (`{"error":{code,message,status}}`) reports no usage; nothing to meter.
    if (res.error !== undefined) return;
    const version = asString(res.modelVersion);
    if (version) this.r.model = version.replace(/^models\//, '');
    if (Array.isArray(res.candidates)) {
      res.candidates.forEach((value: unknown, i: number) => {
        const candidate = asRecord(value);
        if (!candidate) return;
        if (asString(candidate.finishReason)) this.finished = true;
        const parts = asRecord(candidate.content)?.parts;
        const index = asCount(candidate.index) ?? i;
        if (Array.isArray(parts)) for (const part of parts) this.part(part, index);
      });
    }
    if (asString(asRecord(res.promptFeedback)?.blockReason)) this.finished = true;
    this.usage(res.usageMetadata);
  }

  private part(value: unknown, candidate: number): void {
    const part = asRecord(value);
    if (!part) return;
    // Text and thought summaries (`thought: true`) alike.
    this.r.outputChars += asString(part.text)?.length ?? 0;
    this.r.outputChars += asString(asRecord(part.executableCode)?.code)?.length ?? 0;
    const call = asRecord(part.functionCall);
    if (!call) return;
    // Each functionCall part is one call, unless the previous part said the call continues
    // (streamed arguments: partialArgs + willContinue).
    if (!this.continuing.has(candidate)) {
      this.r.toolCalls++;
      const name = asString(call.name);
      if (name) this.toolName = name;
    }
    if (call.willContinue === true) this.continuing.add(candidate);
    else this.continuing.delete(candidate);
    if (call.args !== undefined) this.r.outputChars += JSON.stringify(call.args).length;
    if (Array.isArray(call.partialArgs)) {
      for (const arg of call.partialArgs) this.r.outputChars += asString(asRecord(arg)?.stringValue)?.length ?? 0;
    }
  }

  /**
   * usageMetadata is a running snapshot: the last one wins, never a sum. promptTokenCount
   * includes cachedContentTokenCount; thoughts bill as output. Zero counts are omitted from the
   * JSON (proto3), so a missing count in a snapshot is 0.
   */
  private usage(value: unknown): void {
    const usage = asRecord(value);
    if (!usage) return;
    const u = this.r.usage;
    const prompt = asCount(usage.promptTokenCount);
    const cached = asCount(usage.cachedContentTokenCount) ?? 0;
    const toolUse = asCount(usage.toolUsePromptTokenCount) ?? 0;
    const candidates = asCount(usage.candidatesTokenCount);
    const thoughts = asCount(usage.thoughtsTokenCount);
    if (prompt !== undefined) {
      u.input = Math.max(0, prompt - cached) + toolUse;
      u.cacheRead = cached;
      u.cacheWrite5m = 0;
      u.cacheWrite1h = 0;
    }
    if (candidates !== undefined || thoughts !== undefined || this.finished) u.output = (candidates ?? 0) + (thoughts ?? 0);
    // No end event exists: the stream is whole once usage arrives with or after a finishReason.
    if (this.finished && prompt !== undefined) this.r.complete = true;
  }
}

/**
 * Google error bodies use the canonical google.rpc codes and their HTTP statuses. A capped
 * refusal (402) becomes 400 FAILED_PRECONDITION: Gemini CLI's retryWithBackoff
 * (packages/core/src/utils/retry.ts, isRetryableError) retries only 429 and 5xx and explicitly
 * never 400; 404 would trigger its model fallback and 429 its quota retries/fallback
 * (googleQuotaErrors.ts, classifyGoogleError). 400 FAILED_PRECONDITION is what Google itself
 * returns when billing is not set up. An unreachable upstream (502) stays retryable as 503
 * UNAVAILABLE, which Gemini CLI and js-genai both retry.
 */
const STATUSES: Record<number, [number, string]> = {
  400: [400, 'INVALID_ARGUMENT'],
  401: [401, 'UNAUTHENTICATED'],
  402: [400, 'FAILED_PRECONDITION'],
  403: [403, 'PERMISSION_DENIED'],
  404: [404, 'NOT_FOUND'],
  409: [409, 'ABORTED'],
  413: [400, 'INVALID_ARGUMENT'],
  429: [429, 'RESOURCE_EXHAUSTED'],
  499: [499, 'CANCELLED'],
  500: [500, 'INTERNAL'],
  501: [501, 'UNIMPLEMENTED'],
  502: [503, 'UNAVAILABLE'],
  503: [503, 'UNAVAILABLE'],
  504: [504, 'DEADLINE_EXCEEDED'],
};

function error(status: number, message: string): ErrorBody {
  const [code, name] = STATUSES[status] ?? (status >= 500 ? [500, 'INTERNAL'] : [400, 'FAILED_PRECONDITION']);
  return { status: code, body: JSON.stringify({ error: { code, message, status: name } }) };
}

export const gemini: Provider = {
  id: 'gemini',
  historyKey: 'contents',
  pricingId: 'google',
  defaultUpstream: 'https://generativelanguage.googleapis.com',
  // capped's refusals are 402; error() sends them as 400 FAILED_PRECONDITION, the one status
  // Gemini CLI explicitly never retries (packages/core/src/utils/retry.ts).
  limitStatus: 402,
  classify,
  inspect(body, path) {
    const target = parseTarget(path);
    const config = generationConfig(asRecord(body));
    return {
      model: target?.model ?? null,
      maxTokens: asCount(config?.[key(config, 'maxOutputTokens', 'max_output_tokens')]) ?? null,
      stream: target?.action === 'streamGenerateContent',
      clampable: true,
    };
  },
  prepare: () => null,
  withMaxTokens,
  withModel(body, path, model) {
    // Gemini names the model in the path: models/{model}:{action}.
    const target = parseTarget(path);
    if (!target) return { body, path };
    return { body, path: path.replace(/models\/[^/:]+(?=:|%3A)/i, `models/${encodeURIComponent(model)}`) };
  },
  withoutTools(body, names) {
    // Gemini groups function declarations inside tool entries; built-in tools are keys (googleSearch).
    if (!Array.isArray(body.tools) || names.size === 0) return { body, removed: [] };
    const removed: string[] = [];
    const tools = (body.tools as unknown[])
      .map((tool): unknown => {
        const t = asRecord(tool);
        if (!t) return tool;
        const next: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(t)) {
          if (key === 'functionDeclarations' && Array.isArray(value)) {
            const kept = value.filter((d) => {
              const name = asString(asRecord(d)?.name);
              if (name && names.has(name)) removed.push(name);
              return !(name && names.has(name));
            });
            if (kept.length > 0) next[key] = kept;
          } else if (names.has(key)) {
            removed.push(key);
          } else {
            next[key] = value;
          }
        }
        return Object.keys(next).length > 0 ? next : null;
      })
      .filter((t) => t !== null);
    if (removed.length === 0) return { body, removed };
    const next: Record<string, unknown> = { ...body, tools };
    if (tools.length === 0) delete next.tools;
    return { body: next, removed };
  },
  lastToolCalls(body) {
    const parts = lastWhere(body.contents, (c) => (c.role === 'model' ? c.parts : undefined));
    return Array.isArray(parts)
      ? compact(
          parts.map((p) => {
            const call = asRecord(asRecord(p)?.functionCall);
            return call ? toolCall(call.name, call.args) : null;
          }),
        )
      : [];
  },
  toolSteps: geminiToolSteps,
  defaultMaxTokens,
  createMeter: () => new GeminiMeter(),
  // Implicit caching starts at 2,048 tokens on the Pro models; assuming it from less would under-reserve.
  cache: { kind: 'automatic', minTokens: 2048, step: 1 },
  cacheHints: geminiCacheHints,
  hiddenMarkers: ['"fileUri"', '"file_uri"'],
  counting: geminiCounting,
  error,
  /**
   * Google reports an error inside a stream already under way as a bare JSON error object, not a
   * `data:` event (googleapis/js-genai#461, python-genai#1162). js-genai (Gemini CLI) only turns
   * it into an error when a network chunk parses as JSON with an `error` field
   * (_api_client.ts processStreamResponse); a `data: {"error":...}` event instead becomes an empty
   * response, which Gemini CLI retries as "stream ended without a finish reason". SSE parsers
   * ignore the line (its field name is unknown), so it harms no other client.
   */
  streamError(message, retryable = false) {
    return `${error(retryable ? 503 : 402, message).body}\n\n`;
  },
};
