import { costOfTokens, type Nano } from '../budget/money.js';
import { asCount, asRecord, asString } from './providers/json.js';
import type { Provider } from './providers/types.js';
import type { ProxyDeps } from './server.js';

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

/**
 * An Anthropic Message Batch (`requests[].params` are Messages requests): every request's input
 * estimate and its whole max_tokens, at batch rates.
 */
export function planAnthropicBatch(deps: ProxyDeps, provider: Provider, body: Record<string, unknown>, route: string): Planned {
  const requests = Array.isArray(body.requests) ? body.requests : [];
  if (requests.length === 0) return { ok: false, message: `capped: ${route} carries no requests capped can read, so it cannot be priced; it was not sent.` };
  const byModel = new Map<string, Nano>();
  let inputTokens = 0;
  let outputTokens = 0;
  let nano = 0;
  for (const [index, item] of requests.entries()) {
    const params = asRecord(asRecord(item)?.params);
    const model = asString(params?.model);
    if (!params || !model) return { ok: false, message: `capped: request ${index} of the batch (${route}) names no model, so the batch cannot be priced; it was not sent.` };
    const input = deps.estimator.estimate(Buffer.byteLength(JSON.stringify(params)));
    const output = asCount(params.max_tokens) ?? provider.defaultMaxTokens(model);
    const quote = deps.prices.quote(provider.pricingId, model, input);
    if (!quote) return noPrice(route, model);
    const cost = batchRate(quote.inputNano + costOfTokens(output, quote.outPicoPerToken));
    byModel.set(model, (byModel.get(model) ?? 0) + cost);
    inputTokens += input;
    outputTokens += output;
    nano += cost;
  }
  const model = [...byModel].sort((a, b) => b[1] - a[1])[0]![0];
  return { ok: true, plan: { model, inputTokens, outputTokens, nano, settle: 'reservation' } };
}

/**
 * OpenAI's Batch API names an uploaded JSONL file (`input_file_id`) that capped never saw, so it
 * cannot price the batch.
 */
export function refuseOpenAIBatch(route: string): Planned {
  return {
    ok: false,
    message:
      `capped: ${route} runs the requests of an uploaded file that capped cannot see, so the batch cannot be priced or reserved and was refused to keep the cap intact (it was not sent). ` +
      `Send the requests one by one through capped, or allow the route to pass unmetered in .budgetrc: allowRoutes: ["${route}"].`,
  };
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
  if (!quote || quote.outPicoPerToken === 0) return noPrice(route, model, asString(body.model) ? ' per token' : ` (the API's default when the request names no model)`);
  const images = Math.max(1, asCount(body.n) ?? 1);
  const outputTokens = images * (IMAGE_OUTPUT_TOKENS + (asCount(body.partial_images) ?? 0) * PARTIAL_IMAGE_TOKENS);
  return { ok: true, plan: { model, inputTokens, outputTokens, nano: quote.inputNano + costOfTokens(outputTokens, quote.outPicoPerToken), settle: 'usage' } };
}
