import { ROUTE_PATTERN } from '../config/route-pattern.js';
import type { Provider } from './providers/types.js';

/**
 * What the proxy does with one request, by its route (method and path). Fail closed: a route is
 * forwarded only when this table (or the policy's `allowRoutes`) says it costs nothing or capped
 * can meter it; anything else with a body is refused.
 */
export type RouteKind =
  /** Metered by its provider module (messages, chat completions, responses, generateContent). */
  | { kind: 'generate' }
  /** Costs nothing: token counting, listings, status, uploads, cancels. */
  | { kind: 'free' }
  /** A file upload: free, and a batch input file is kept to price the batch that names it. */
  | { kind: 'upload' }
  /** A batch of requests billed later: priced at batch rates and reserved in full before it is sent. */
  | { kind: 'batch'; format: 'anthropic' | 'openai' }
  /** Priced from one request's input (and, for images, a bounded output), settled from the response's usage. */
  | { kind: 'priced'; shape: 'embeddings' | 'images' }
  /** A known route capped cannot price: refused with `why`. */
  | { kind: 'unpriced'; why: string }
  /** Not in the table. */
  | { kind: 'unknown' };

interface Rule {
  /** Methods the rule applies to. */
  methods: readonly string[];
  /** Matched against the end of the path (below the mount, without the query string). */
  path: RegExp;
  route: RouteKind;
}

const FREE: RouteKind = { kind: 'free' };
const SEGMENT = '[^/]+';
const end = (pattern: string): RegExp => new RegExp(`(?:^|/)${pattern}$`);

/** Anthropic's paths carry `/v1` (its base URL is the bare host). */
const ANTHROPIC: readonly Rule[] = [
  { methods: ['POST'], path: end('v1/messages/count_tokens'), route: FREE },
  { methods: ['POST'], path: end('v1/messages/batches'), route: { kind: 'batch', format: 'anthropic' } },
  { methods: ['POST'], path: end(`v1/messages/batches/${SEGMENT}/cancel`), route: FREE },
  // Files API uploads (multipart): storing a file costs nothing; using it in a message is metered.
  { methods: ['POST'], path: end('v1/files'), route: FREE },
  // Agent Skills uploads, likewise stored, not run.
  { methods: ['POST'], path: end('v1/skills'), route: FREE },
  { methods: ['POST'], path: end(`v1/skills/${SEGMENT}/versions`), route: FREE },
];

/** OpenAI clients' base URL usually includes `/v1`, so paths arrive with or without it. */
const OPENAI: readonly Rule[] = [
  { methods: ['POST'], path: end('responses/input_tokens'), route: FREE },
  { methods: ['POST'], path: end(`responses/${SEGMENT}/cancel`), route: FREE },
  { methods: ['POST'], path: end('batches'), route: { kind: 'batch', format: 'openai' } },
  { methods: ['POST'], path: end(`batches/${SEGMENT}/cancel`), route: FREE },
  { methods: ['POST'], path: end('files'), route: { kind: 'upload' } },
  // Multipart uploads (files over 512 MB) are not read: a batch naming one is refused.
  { methods: ['POST'], path: end('uploads'), route: FREE },
  { methods: ['POST'], path: end(`uploads/${SEGMENT}/(parts|complete|cancel)`), route: FREE },
  // Moderation is free of charge (platform.openai.com/docs/guides/moderation).
  { methods: ['POST'], path: end('moderations'), route: FREE },
  { methods: ['POST'], path: end('embeddings'), route: { kind: 'priced', shape: 'embeddings' } },
  { methods: ['POST'], path: end('images/generations'), route: { kind: 'priced', shape: 'images' } },
  {
    methods: ['POST'],
    path: end('images/(edits|variations)'),
    route: { kind: 'unpriced', why: 'its input images arrive as a multipart upload capped does not read, so it cannot be priced' },
  },
  {
    methods: ['POST'],
    path: end('audio/(speech|transcriptions|translations)'),
    route: { kind: 'unpriced', why: 'audio is billed by duration or audio tokens, which capped cannot bound before it is sent' },
  },
];

/** Gemini names the action after a colon: `models/{model}:{action}` (the colon may be encoded). */
const GEMINI: readonly Rule[] = [
  { methods: ['POST'], path: /(?:models|tunedModels)\/[^/:]+(?::|%3A)countTokens$/i, route: FREE },
  { methods: ['POST'], path: /(?:models|tunedModels)\/[^/:]+(?::|%3A)(embedContent|batchEmbedContents)$/i, route: { kind: 'priced', shape: 'embeddings' } },
  {
    methods: ['POST'],
    path: /(?:models|tunedModels)\/[^/:]+(?::|%3A)(batchGenerateContent|asyncBatchEmbedContent)$/i,
    route: { kind: 'unpriced', why: 'Gemini batch jobs are billed after the run, from requests capped does not read' },
  },
  {
    methods: ['POST'],
    path: /(?:models|tunedModels)\/[^/:]+(?::|%3A)(predict|predictLongRunning)$/i,
    route: { kind: 'unpriced', why: 'image and video generation (Imagen, Veo) is billed per output, which capped cannot price' },
  },
  // File uploads (resumable: POST starts, PUT/POST with `upload_id` carries the bytes).
  { methods: ['POST', 'PUT'], path: end('upload/v1beta/files'), route: FREE },
  { methods: ['POST'], path: end('v1beta/files'), route: FREE },
  { methods: ['POST'], path: /batches\/[^/]+(?::|%3A)cancel$/i, route: FREE },
];

const TABLES: Readonly<Record<string, readonly Rule[]>> = { anthropic: ANTHROPIC, openai: OPENAI, google: GEMINI };

/** Methods that read or remove and never generate; free when they carry no body. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/**
 * The route kind of a request. `hasBody` is false for a request with neither content-length
 * (above 0) nor a chunked body.
 */
export function classifyRoute(provider: Provider, method: string, path: string, hasBody: boolean): RouteKind {
  const p = path.replace(/\/+$/, '');
  // The provider modules know their generation routes; what they call free by default (every
  // non-POST) is decided here instead, by the table and by whether the request has a body.
  if (provider.classify(method, p) === 'generate') return { kind: 'generate' };
  const rule = (TABLES[provider.pricingId] ?? []).find((r) => r.methods.includes(method) && r.path.test(p));
  if (rule) return rule.route;
  if (READS.has(method) && !hasBody) return FREE;
  return { kind: 'unknown' };
}

/** One `allowRoutes` entry: a method (or `*`) and a path whose `*` stands for one path segment. */
export interface AllowedRoute {
  method: string;
  path: RegExp;
}

/**
 * Compiles `allowRoutes` entries. A pattern matches the end of the request path at a segment
 * boundary, so `POST /v1/files` matches `/v1/files` behind any base-URL prefix.
 */
export function compileRoutes(patterns: readonly string[]): AllowedRoute[] {
  return patterns.map((text) => {
    const m = ROUTE_PATTERN.exec(text.trim());
    if (!m) throw new Error(`not a route pattern: ${text}`);
    const path = m[2]!.replace(/\/+$/, '');
    const body = path
      .split('/')
      .map((segment) => segment.split('*').map(escapeRegExp).join('[^/]*'))
      .join('/');
    // The pattern starts with `/`, so it can only match from a segment boundary.
    return { method: m[1]!.toUpperCase(), path: new RegExp(`${body}$`) };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether the policy's `allowRoutes` names this request's route. */
export function isAllowed(allowed: readonly AllowedRoute[], method: string, path: string): boolean {
  const p = path.replace(/\/+$/, '');
  return allowed.some((a) => (a.method === '*' || a.method === method) && a.path.test(p));
}

/** The message a refused route gets: what was refused, and how to let it through. */
export function routeRefusal(method: string, path: string, why: string): string {
  const route = `${method} ${path.replace(/\/+$/, '') || '/'}`;
  return (
    `capped: ${route} ${why}, so the request was refused to keep the cap intact (it was not sent). ` +
    `If this route costs nothing, or you accept that it passes unmetered, allow it in .budgetrc: allowRoutes: ["${route}"].`
  );
}
