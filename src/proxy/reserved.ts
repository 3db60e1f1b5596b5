import type { AgentRequest } from './agent-request.js';
import type { AgentResponse } from './agent-response.js';
import type { TokenUsage } from '../budget/types.js';
import { sendError, upstreamFailure } from './exchange.js';
import { forwardHeaders, requestUpstream } from './forward.js';
import { nextRequestId } from './admit.js';
import { asCount, asRecord, asString, tryParse } from './providers/json.js';
import { emptyReading, type Meter, type MeterReading, type Provider } from './providers/types.js';
import { relayResponse, type RelayHooks, type RelayOutcome } from './relay.js';
import type { Plan } from './route-plans.js';
import type { ProxyDeps, Route } from './proxy-deps.js';
import type { SseEvent } from './sse-reader.js';
import { holdWindow, releaseRequest } from './window-hold.js';

/**
 * Reads the usage an embeddings or images response reports: OpenAI's `usage` (prompt_tokens, or
 * input_tokens/output_tokens for images, also on the streamed `image_generation.completed`),
 * Gemini's `usageMetadata`.
 */
class UsageMeter implements Meter {
  private readonly r: MeterReading = emptyReading();

  event(e: SseEvent): 'forward' {
    this.json(tryParse(e.data));
    return 'forward';
  }

  json(body: unknown): void {
    const b = asRecord(body);
    if (!b) {
      this.r.malformed++;
      return;
    }
    this.r.model = asString(b.model) ?? this.r.model;
    const usage = asRecord(b.usage);
    const input = asCount(usage?.prompt_tokens) ?? asCount(usage?.input_tokens) ?? asCount(asRecord(b.usageMetadata)?.promptTokenCount);
    if (input === undefined) return;
    this.r.usage.input = input;
    this.r.usage.output = asCount(usage?.output_tokens) ?? 0;
    this.r.complete = true;
  }

  reading(): MeterReading {
    return { ...this.r, usage: { ...this.r.usage } };
  }

  peek(): Readonly<MeterReading> {
    return this.r;
  }
}

/** These routes stream no tool calls and have no output ceiling to cut at: their price is reserved whole. */
const PLAIN: RelayHooks = {
  holdBodies: false,
  allowToolCall: () => ({ allowed: true }),
  inputKnown: () => null,
  cut: () => '',
  allowance: () => Number.MAX_SAFE_INTEGER,
  sentCeiling: null,
  outputTokens: () => 0,
  now: () => 0,
  extend: () => ({ allowedOut: Number.MAX_SAFE_INTEGER, short: null }),
  yieldRoom: () => '',
};

type Reserved = { ok: true } | { ok: false; message: string } | null;

/** Reserves the whole plan (budget, then the shared windows); null when the client left. */
async function reserve(deps: ProxyDeps, id: string, plan: Plan, provider: string, onWaiting: (cancel: () => void) => void): Promise<Reserved> {
  for (let attempt = 0; ; attempt++) {
    onWaiting(() => deps.keeper.cancel(id));
    const decision = await deps.keeper.admit({
      type: 'request',
      id,
      at: deps.now().toISOString(),
      model: plan.model,
      // The whole price is known up front: carried as input, with nothing left to clamp.
      quote: { inputTokens: plan.inputTokens, inputNano: plan.nano, outPicoPerToken: 0 },
      maxTokens: plan.outputTokens,
      clampable: false,
      mainLoop: false,
    });
    if (decision === null) return null;
    if (decision.type === 'refuse') return { ok: false, message: decision.message };
    const window = await holdWindow(deps, id, decision.reservedNano, attempt, onWaiting);
    if (window.type === 'gone') return null;
    if (window.type === 'refused') return { ok: false, message: window.message };
    if (window.type !== 'held') continue;
    // In the ledger as reserved before it is sent, the write waited for: a capped killed while a
    // batch is in flight leaves it charged. (A generation request's row is asked for just after
    // its send and committed in that turn, Admit.sent: the wait would sit on every agent turn,
    // while here it is once per batch, upload or image.)
    await deps.reserve?.(id, provider);
    return { ok: true };
  }
}

/**
 * Meters a request priced before it is sent (a batch, embeddings, an image): reserves the plan in
 * full, forwards it, relays the answer, and settles it (see Plan.settle).
 */
export async function handleReserved(
  deps: ProxyDeps,
  route: Route,
  req: AgentRequest,
  res: AgentResponse,
  pathAndQuery: string,
  body: Buffer,
  plan: Plan,
): Promise<void> {
  const { provider } = route;
  const id = nextRequestId();
  let cancel: (() => void) | null = null;
  const onClose = (): void => cancel?.();
  res.once('close', onClose);
  const reserved = await reserve(deps, id, plan, provider.id, (c) => (cancel = c));
  res.off('close', onClose);
  if (reserved === null) return;
  if (!reserved.ok) {
    deps.notify({ type: 'refused', message: reserved.message });
    sendError(res, provider.error(provider.limitStatus, reserved.message));
    return;
  }
  await new Promise<void>((resolve) => {
    let clientGone = false;
    let responded = false;
    const up = requestUpstream(route.upstream, req.method ?? 'POST', pathAndQuery, forwardHeaders(req.headers, body.length), body);
    up.on('response', (upstream) => {
      responded = true;
      const meter = new UsageMeter();
      void relayResponse({ provider, meter, upstream, res, hooks: PLAIN, clientGone: () => clientGone, allowedOut: plan.outputTokens }).then((outcome) => {
        settleReserved(deps, provider, id, plan, outcome);
        resolve();
      });
    });
    up.on('error', (err) => {
      if (responded) return;
      const failure = upstreamFailure(route, err);
      releaseRequest(deps, id);
      deps.notify({ type: 'upstream-error', message: failure.message });
      if (!clientGone) sendError(res, failure.error, true);
      resolve();
    });
    res.on('close', () => {
      // Keep reading: the upstream bills the request whether or not the agent waits for it.
      if (!res.writableFinished) clientGone = true;
    });
  });
}

/** Charges a reserved request: its reported usage when the plan says so and it was read, else the reservation. */
function settleReserved(deps: ProxyDeps, provider: Provider, id: string, plan: Plan, outcome: RelayOutcome): void {
  const { status, reading } = outcome;
  if (status >= 400 && reading.usage.input === null) {
    // Refused upstream (a bad batch, an unknown model): nothing was billed.
    releaseRequest(deps, id);
    return;
  }
  let usage: TokenUsage = { input: plan.inputTokens, output: plan.outputTokens, cacheRead: 0, cacheWrite: 0 };
  let costNano = plan.nano;
  let estimated = true;
  if (plan.settle === 'usage' && reading.complete) {
    const read = { input: reading.usage.input ?? 0, output: reading.usage.output ?? 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, webSearches: 0 };
    const cost = deps.prices.cost(provider.pricingId, plan.model, read);
    if (cost !== null) {
      usage = { input: read.input, output: read.output, cacheRead: 0, cacheWrite: 0 };
      costNano = cost;
      estimated = false;
    }
  }
  const phase = deps.keeper.state.reserved[id]?.phase ?? deps.keeper.state.phase;
  const at = deps.now().toISOString();
  deps.keeper.dispatch({ type: 'settle', id, at, model: plan.model, usage, costNano, estimated });
  deps.notify({
    type: 'settled',
    id,
    model: plan.model,
    costNano,
    usage,
    estimated,
    clamped: null,
    retry: false,
    provider: provider.id,
    phase, // Priced whole up front: no input estimate was at risk.
    reservedInputNano: plan.nano,
    billedInputNano: plan.nano,
    overrun: false,
    ...(estimated ? { atReservation: true as const } : {}),
  });
}
