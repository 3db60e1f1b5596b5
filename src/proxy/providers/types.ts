import type { BillableUsage } from '../../pricing/price-book.js';
import type { SseEvent } from '../sse-reader.js';

/** What the proxy does with a request, decided from its method and path alone. */
export type RequestKind = 'generate' | 'free' | 'other';

export interface RequestInfo {
  model: string | null;
  /** The output ceiling the client asked for; null when it set none. */
  maxTokens: number | null;
  stream: boolean;
}

/** What one response revealed; fields the provider never reported stay null. */
export interface MeterReading {
  model: string | null;
  usage: { [K in keyof BillableUsage]: number | null };
  /** True once the provider's final usage arrived (not only the opening counts). */
  complete: boolean;
  toolCalls: number;
  /** Characters of generated text, thinking and tool input seen: the basis of an output estimate. */
  outputChars: number;
  /** SSE events or JSON bodies that could not be read. */
  malformed: number;
}

/** Reads one response's copy. It never throws and never changes a byte the client receives. */
export interface Meter {
  event(event: SseEvent): void;
  json(body: unknown): void;
  reading(): MeterReading;
}

export interface ErrorBody {
  status: number;
  body: string;
}

/** One provider's wire format: the contract every provider module implements. */
export interface Provider {
  /** Path segment the proxy mounts this provider under, and the id genai-prices knows it by. */
  readonly id: string;
  readonly pricingId: string;
  readonly defaultUpstream: string;
  classify(method: string, path: string): RequestKind;
  inspect(body: unknown): RequestInfo;
  /** The request with its output ceiling lowered to `maxTokens` (and anything that must shrink with it). */
  withMaxTokens(body: Record<string, unknown>, maxTokens: number): Record<string, unknown>;
  /** Output ceiling to reserve for when the client set none. */
  defaultMaxTokens(model: string): number;
  createMeter(): Meter;
  /** An error in this provider's own shape. */
  error(status: number, message: string): ErrorBody;
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
