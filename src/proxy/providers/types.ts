import type { ToolStep } from '../../budget/tool-steps.js';
import type { BillableUsage } from '../../pricing/price-book.js';
import type { CacheHints } from '../conversations.js';
import type { CacheRules } from '../input-prediction.js';
import type { SseEvent } from '../sse-reader.js';

/** What the proxy does with a request, decided from its method and path alone. */
export type RequestKind = 'generate' | 'free' | 'other';

export interface RequestInfo {
  model: string | null;
  /** The output ceiling the client asked for; null when it set none. */
  maxTokens: number | null;
  /** Whether the response will be a stream (SSE). */
  stream: boolean;
  /** False for endpoints without an output-limit field: the request then fits whole or not at all. */
  clampable: boolean;
}

/** What one response revealed; fields the provider never reported stay null. */
export interface MeterReading {
  model: string | null;
  usage: { [K in keyof BillableUsage]: number | null };
  /** True once the provider's final usage arrived (not only the opening counts). */
  complete: boolean;
  /** Tool calls the model asked for so far (client tools and server tools alike). */
  toolCalls: number;
  /** Characters of generated text, thinking and tool input seen: the basis of an output estimate. */
  outputChars: number;
  /** SSE events or JSON bodies that could not be read. */
  malformed: number;
  /** The provider's id for this response, when a later request can continue it server-side. */
  responseId?: string | null;
}

/**
 * Reads one response's copy. It never throws, and changes what the client receives only to undo
 * what the proxy itself caused (e.g. a usage chunk that exists only because the proxy asked).
 */
/**
 * What the proxy does with one SSE event: pass its bytes on, drop it, or send `replace` (raw SSE
 * text) instead. Only for changes the proxy itself caused (e.g. usage it asked for).
 */
export type EventVerdict = 'forward' | 'drop' | { replace: string };

export interface Meter {
  event(event: SseEvent): EventVerdict;
  json(body: unknown): void;
  /** The name of the latest tool call, when the provider names it as it starts. */
  lastTool?(): string | undefined;
  /**
   * A WebSocket text message (OpenAI Responses over WebSocket); same events as SSE data. Returns
   * the message's type, or null when it has none.
   */
  message?(text: string): string | null;
  /**
   * Meters a WebSocket text message straight from its bytes, when the provider can (a plain
   * content delta, which never ends a response): true when it did, and it is not read as text.
   */
  rawMessage?(payload: Buffer): boolean;
  /**
   * Meters one whole raw SSE event straight from its bytes, when the provider can (a plain content
   * delta): true when it did, and the event is not read as text; false to read it the usual way.
   */
  rawEvent?(raw: Buffer): boolean;
  /**
   * Meters a raw SSE event that streams through in pieces before it is whole (one of the
   * provider's passThroughEvents), when the provider can read it from its bytes.
   */
  rawStream?(): RawEventStream;
  /**
   * What of a response's first event, `raw` (an SSE event or a WebSocket message), may go to the
   * client before this meter reads it, so a stream's first byte waits on no metering (issue 11):
   * `raw` itself when its bytes hold nothing this meter would drop, replace or count as a tool
   * call; `raw` edited exactly as reading it would edit it, when its bytes alone show that edit
   * (OpenAI Chat's `"usage":null` that capped asked for); else null, and it is read first. What
   * its reading decides (a cut) comes after it. Judged from the bytes, so it must hold for every
   * spelling JSON allows (holdsNoneOf in raw-json.ts).
   */
  lead?(raw: Buffer): Buffer | null;
  /** A copy of what was read so far, for callers that keep it. */
  reading(): MeterReading;
  /**
   * What was read so far, not copied: to look at at once, never to keep. The relays look after
   * every event, and a copy each time was a measurable part of a long answer's cost (issue 11).
   */
  peek(): Readonly<MeterReading>;
}

/** One raw SSE event read as its pieces pass (Meter.rawStream). */
export interface RawEventStream {
  /** The event's next bytes, from its first on. */
  push(piece: Buffer): void;
  /**
   * How many of the event's bytes, from its first, may go to the client now: none before its
   * first bytes show the layout it is read by, nor any from where its text ends (what follows
   * could make the event something else: it waits for the event to be read whole, held()).
   */
  allowed(): number;
  /** Whether its first bytes show the layout: null while too few have arrived to tell. */
  started(): boolean | null;
  /** Once the event is whole: true when it was metered from its pieces; false to read bytes() the usual way. */
  end(): boolean;
  /** The event's bytes, joined. */
  bytes(): Buffer;
  /** The event's bytes from `from` on (from what allowed() let go: the rest, once it is whole). */
  held(from: number): Buffer;
}

export interface ErrorBody {
  status: number;
  body: string;
}

/** Changes the proxy makes to a request before sending it, and what the meter must know of them. */
export interface Prepared {
  body: Record<string, unknown>;
  /** The proxy asked for usage the client did not: the meter drops that extra usage event. */
  injectedUsage: boolean;
}

/** A tool call the model made in an earlier turn, as the client sends it back. */
export interface ToolCall {
  name: string;
  /** The call's input as JSON text (arguments, command). */
  input: string;
}

/** For providers with a WebSocket transport (OpenAI Responses): how its messages are read. */
export interface WebSocketSupport {
  /** Recognises a client message (parsed) that starts a generation, and returns its request body. */
  createRequest(message: unknown): { kind: 'create'; body: Record<string, unknown> } | { kind: 'other' };
  /** The client message (as parsed) that carries `body`, the request as the proxy changed it. */
  frameWith(body: Record<string, unknown>): Record<string, unknown>;
  /** A server message that tells the client its request was refused, with `message`. */
  errorMessage(message: string): string;
  /** Whether a server message of this type (Meter.message's answer) ends the response it belongs to. */
  isTerminal(type: string | null): boolean;
}

/** A provider's free endpoint that counts a request's input exactly. */
export interface TokenCounting {
  /** The counting request for a generation request at `path`; null when it has none. */
  request(body: Record<string, unknown>, path: string, model: string): { path: string; body: Record<string, unknown> } | null;
  /** The input token count in its answer; null when the answer is not one. */
  read(answer: unknown): number | null;
}

/** One provider's wire format: the contract every provider module implements. */
export interface Provider {
  /** Path segment the proxy mounts this provider under. */
  readonly id: string;
  /** The provider id genai-prices knows it by. */
  readonly pricingId: string;
  readonly defaultUpstream: string;
  /**
   * Status of a budget refusal: one the provider's clients neither retry nor hide (Anthropic's
   * SDKs and Claude Code show a 402 billing_error; Codex retries 402 but shows a 400 at once).
   */
  readonly limitStatus: number;
  /** `path` is the request path below the provider's base URL, without the query string. */
  classify(method: string, path: string): RequestKind;
  /** Reads the request; some providers carry the model and streaming in the path (Gemini). */
  inspect(body: unknown, path: string): RequestInfo;
  /** Rewrites needed to meter the request (e.g. asking for streamed usage); null when none. */
  prepare(body: Record<string, unknown>, info: RequestInfo): Prepared | null;
  /** The request with its output ceiling lowered to `maxTokens` (and anything that must shrink with it). */
  withMaxTokens(body: Record<string, unknown>, maxTokens: number): Record<string, unknown>;
  /** The request sent to another model instead (escalation denied, downgrade at the limit). */
  withModel(body: Record<string, unknown>, path: string, model: string): { body: Record<string, unknown>; path: string };
  /** The request without the named tools, so the model cannot call them; and which were removed. */
  withoutTools(body: Record<string, unknown>, names: ReadonlySet<string>): { body: Record<string, unknown>; removed: string[] };
  /** The tool calls of the last model turn in the request's history (what the agent just ran). */
  lastToolCalls(body: Record<string, unknown>): ToolCall[];
  /** Every tool call in the request's history with the result the agent sent back (the guards read them). */
  toolSteps(body: Record<string, unknown>): ToolStep[];
  /** Output ceiling to reserve for when the client set none (the model's maximum output). */
  defaultMaxTokens(model: string): number;
  createMeter(opts: { injectedUsage: boolean }): Meter;
  /**
   * SSE event names (the `event:` line) whose events its meter only reads: never dropped,
   * replaced, a tool call or the end of usage. Their bytes go to the client as they arrive, before
   * the event is whole, read by the meter's rawStream as they pass (without one, they wait).
   */
  readonly passThroughEvents?: ReadonlySet<string>;
  /** An error response in this provider's own shape. */
  error(status: number, message: string): ErrorBody;
  /**
   * An error sent inside a stream already under way, in the provider's own mid-stream error form:
   * a budget refusal, or (`retryable`) one its clients treat as transient (overloaded).
   */
  streamError(message: string, retryable?: boolean): string;
  /** Present when the provider also speaks over WebSocket. */
  readonly websocket?: WebSocketSupport;
  /** How the provider caches prompts (for pricing a request before it is sent). */
  readonly cache: CacheRules;
  /** What the request says about caching: breakpoints, their TTL, what precedes the conversation. */
  cacheHints(body: Record<string, unknown>): CacheHints;
  /** Byte patterns of references to content the body does not hold (file ids, URL sources). */
  readonly hiddenMarkers: readonly string[];
  /**
   * The top-level array a request's conversation is in, which the agent resends whole with each
   * request: the proxy parses of it only what changed since the last request (RequestBodies).
   */
  readonly historyKey?: string;
  /** The provider's free exact input count, when it has one. */
  readonly counting?: TokenCounting;
}

export function emptyReading(): MeterReading {
  return {
    model: null,
    usage: { input: null, output: null, cacheRead: null, cacheWrite5m: null, cacheWrite1h: null, webSearches: null },
    complete: false,
    toolCalls: 0,
    outputChars: 0,
    malformed: 0,
  };
}
