import { costOfTokens, type Nano } from '../budget/money.js';
import { asCount, asRecord, asString, tryParse } from './providers/json.js';
import { openaiChat } from './providers/openai-chat.js';
import { openaiResponses } from './providers/openai-responses.js';
import type { Provider } from './providers/types.js';
import type { ProxyDeps } from './proxy-deps.js';
import type { SeenUploads } from './uploads.js';

/**
 * What a request on a batch, embeddings or images route reserves, priced before it is sent. These
 * routes have no output ceiling capped can lower: the request fits whole or is refused.
 */
export interface Plan {
  /** The model the charge is recorded under (for a batch, the one with the largest share). */
  model: string;
  inputTokens: number;
  outputTokens: number;
  nano: Nano;
  /**
   * `reservation`: charged the reservation, flagged estimated (batch results are billed after the
   * run); `usage`: charged the usage the response reports, the reservation when it reports none.
   */
  settle: 'reservation' | 'usage';
}

export type Planned = { ok: true; plan: Plan } | { ok: false; message: string };

/**
 * Anthropic's Message Batches and OpenAI's Batch API both bill at 50% of standard prices
 * (docs.anthropic.com/en/docs/build-with-claude/batch-processing#pricing,
 * platform.openai.com/docs/guides/batch). genai-prices has no batch rates, so the discount is
 * applied here, rounding up.
 */
const batchRate = (nano: Nano): Nano => Math.ceil(nano / 2);

/**
 * gpt-image-1's largest output per image (1024x1536, high quality: 6,240 image tokens, OpenAI's
 * image generation guide "cost and latency" table); each streamed partial image adds 100.
 */
const IMAGE_OUTPUT_TOKENS = 6_240;
const PARTIAL_IMAGE_TOKENS = 100;

/** OpenAI's default image model when a request names none (API reference, images/create). */
const DEFAULT_IMAGE_MODEL = 'dall-e-2';

function noPrice(route: string, model: string, why = ''): Planned {
  return {
    ok: false,
    message:
      `capped: ${route} asks for model "${model}", which capped cannot price${why}, so the request was refused to keep the cap intact (it was not sent). ` +
      `Use a model with a published per-token price, or allow the route to pass unmetered in .budgetrc: allowRoutes: ["${route}"].`,
  };
}

/** One request of a batch, before pricing. */
interface BatchItem {
  model: string;
  pricingId: string;
  /** The request body's size, for its input estimate. */
  bytes: number;
  /** Its output ceiling, the whole of which is reserved. */
  output: number;
}

/** A batch priced in full at batch rates, recorded under the model with the largest share. */
function planBatch(deps: ProxyDeps, items: readonly BatchItem[], route: string): Planned {
  if (items.length === 0) return { ok: false, message: `capped: ${route} carries no requests capped can read, so it cannot be priced; it was not sent.` };
  const byModel = new Map<string, Nano>();
  const plan: Plan = { model: '', inputTokens: 0, outputTokens: 0, nano: 0, settle: 'reservation' };
  for (const item of items) {
    const input = deps.estimator.estimate(item.bytes);
    const quote = deps.prices.quote(item.pricingId, item.model, input);
    if (!quote) return noPrice(route, item.model);
    const cost = batchRate(quote.inputNano + costOfTokens(item.output, quote.outPicoPerToken));
    byModel.set(item.model, (byModel.get(item.model) ?? 0) + cost);
    plan.inputTokens += input;
    plan.outputTokens += item.output;
    plan.nano += cost;
  }
  plan.model = [...byModel].sort((a, b) => b[1] - a[1])[0]![0];
  return { ok: true, plan };
}

/**
 * An Anthropic Message Batch (`requests[].params` are Messages requests): every request's input
 * estimate and its whole max_tokens, at batch rates.
 */
export function planAnthropicBatch(deps: ProxyDeps, provider: Provider, body: Record<string, unknown>, route: string): Planned {
  const items: BatchItem[] = [];
  for (const [index, item] of (Array.isArray(body.requests) ? body.requests : []).entries()) {
    const params = asRecord(asRecord(item)?.params);
    const model = asString(params?.model);
    if (!params || !model)
      return { ok: false, message: `capped: request ${index} of the batch (${route}) names no model, so the batch cannot be priced; it was not sent.` };
    items.push({
      model,
      pricingId: provider.pricingId,
      bytes: Buffer.byteLength(JSON.stringify(params)),
      output: asCount(params.max_tokens) ?? provider.defaultMaxTokens(model),
    });
  }
  return planBatch(deps, items, route);
}

/**
 * Where a batch line's request goes, and its output ceiling field (OpenAI batch input lines:
 * {custom_id, method, url, body}).
 */
const OPENAI_BATCH_ENDPOINTS: ReadonlyArray<{ url: RegExp; provider: Provider; maxTokens: (body: Record<string, unknown>) => number | undefined }> = [
  { url: /\/chat\/completions$/, provider: openaiChat, maxTokens: (b) => asCount(b.max_completion_tokens) ?? asCount(b.max_tokens) },
  { url: /\/responses$/, provider: openaiResponses, maxTokens: (b) => asCount(b.max_output_tokens) },
  { url: /\/embeddings$/, provider: openaiChat, maxTokens: () => 0 },
];

/**
 * An OpenAI batch: its requests are the lines of an input file the agent uploaded through capped
 * (kept by SeenUploads); a file capped never saw cannot be priced, so the batch is refused.
 */
export function planOpenAIBatch(deps: ProxyDeps, body: Record<string, unknown>, route: string, uploads: SeenUploads): Planned {
  const fileId = asString(body.input_file_id);
  const content = fileId === undefined ? undefined : uploads.get(fileId);
  const refuse = (why: string): Planned => ({
    ok: false,
    message:
      `capped: ${route} ${why}, so the batch cannot be priced or reserved and was refused to keep the cap intact (it was not sent). ` +
      `Upload the input file through capped in this run, send the requests one by one, or allow the route ` +
      `to pass unmetered in .budgetrc: allowRoutes: ["${route}"].`,
  });
  if (content === undefined) return refuse(`runs the requests of an uploaded file (${fileId ?? 'none named'}) that capped cannot see`);
  const items: BatchItem[] = [];
  for (const [index, line] of content
    .split('\n')
    .filter((l) => l.trim() !== '')
    .entries()) {
    const item = asRecord(tryParse(line));
    const request = asRecord(item?.body);
    const model = asString(request?.model);
    const endpoint = OPENAI_BATCH_ENDPOINTS.find((e) => e.url.test(asString(item?.url) ?? ''));
    if (!request || !model || !endpoint)
      return refuse(`has a request (line ${index + 1} of ${fileId}) capped cannot price: it needs a model and a chat/completions, responses or embeddings url`);
    const output = endpoint.maxTokens(request) ?? endpoint.provider.defaultMaxTokens(model);
    items.push({ model, pricingId: endpoint.provider.pricingId, bytes: Buffer.byteLength(JSON.stringify(request)), output });
  }
  return planBatch(deps, items, route);
}

/** An embeddings request: its input estimate; nothing generated. */
export function planEmbeddings(deps: ProxyDeps, provider: Provider, body: Record<string, unknown>, path: string, bytes: number, route: string): Planned {
  // OpenAI names the model in the body, Gemini in the path.
  const model = asString(body.model) ?? provider.inspect(body, path).model;
  if (!model) return { ok: false, message: `capped: ${route} names no model, so it cannot be priced; it was not sent.` };
  const inputTokens = deps.estimator.estimate(bytes);
  const quote = deps.prices.quote(provider.pricingId, model, inputTokens);
  if (!quote) return noPrice(route, model);
  return { ok: true, plan: { model, inputTokens, outputTokens: 0, nano: quote.inputNano, settle: 'usage' } };
}

/** An image generation on a token-priced model: its prompt and the largest output per image. */
export function planImages(deps: ProxyDeps, provider: Provider, body: Record<string, unknown>, bytes: number, route: string): Planned {
  const model = asString(body.model) ?? DEFAULT_IMAGE_MODEL;
  const inputTokens = deps.estimator.estimate(bytes);
  const quote = deps.prices.quote(provider.pricingId, model, inputTokens);
  // Per-image prices (dall-e-2, dall-e-3) are not token prices: a zero output rate means the
  // price data does not know how this model's images are billed.
  if (!quote || quote.outPicoPerToken === 0)
    return noPrice(route, model, asString(body.model) ? ' per token' : ` (the API's default when the request names no model)`);
  const images = Math.max(1, asCount(body.n) ?? 1);
  const outputTokens = images * (IMAGE_OUTPUT_TOKENS + (asCount(body.partial_images) ?? 0) * PARTIAL_IMAGE_TOKENS);
  return { ok: true, plan: { model, inputTokens, outputTokens, nano: quote.inputNano + costOfTokens(outputTokens, quote.outPicoPerToken), settle: 'usage' } };
}
