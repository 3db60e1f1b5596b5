import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { GuardFacts } from '../budget/guards.js';
import type { BudgetKeeper } from '../budget/keeper.js';
import type { Nano } from '../budget/money.js';
import type { ToolStep } from '../budget/tool-steps.js';
import type { WindowInfo } from '../budget/types.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { ConversationMemory } from './conversations.js';
import type { InputEstimator } from './input-estimator.js';
import type { OutputEstimator } from './output-estimator.js';
import type { ReserveMode } from './request-pricing.js';
import type { Upstream } from './forward.js';
import { isSubscriptionLogin } from './credentials.js';
import { handleGeneration } from './generation.js';
import { handleUpgrade } from './websocket.js';
import { passThrough, readBody, sendError, type ProxyNotice } from './exchange.js';
import { tryParse, asRecord } from './providers/json.js';
import { handleReserved } from './reserved.js';
import { planAnthropicBatch, planEmbeddings, planImages, planOpenAIBatch } from './route-plans.js';
import { passUpload, SeenUploads } from './uploads.js';
import { classifyRoute, isAllowed, routeRefusal, type AllowedRoute } from './routes.js';
import type { Provider } from './providers/types.js';

/** A resolved destination: the provider whose wire format a request uses, and where it goes. */
export interface Route {
  provider: Provider;
  upstream: Upstream;
}

/**
 * What one base URL path segment serves: providers sharing a base URL (OpenAI Chat and
 * Responses) are told apart by path; the first one answers for paths none of them meters.
 */
export interface Mount {
  providers: readonly Provider[];
  upstream: Upstream;
  /**
   * Where requests paid by a subscription login go instead, when the user named no upstream of
   * their own (Codex with a ChatGPT login talks to ChatGPT's backend, not api.openai.com).
   */
  subscriptionUpstream?: Upstream;
  /** Puts a request path in the form the upstream expects (see mounts.ts pathFixer). */
  fixPath?: (pathAndQuery: string) => string;
}

export function resolveRoute(mount: Mount, method: string, path: string, headers: http.IncomingHttpHeaders): Route {
  const provider = mount.providers.find((p) => p.classify(method, path) === 'generate') ?? mount.providers[0]!;
  const upstream = mount.subscriptionUpstream && isSubscriptionLogin(headers) ? mount.subscriptionUpstream : mount.upstream;
  return { provider, upstream };
}

export interface ProxyDeps {
  /** Random path segment every request must start with; anything else gets 403. */
  secret: string;
  mounts: ReadonlyMap<string, Mount>;
  keeper: BudgetKeeper;
  prices: PriceBook;
  estimator: InputEstimator;
  /** Output tokens from streamed characters, learned from this run's responses. */
  outputs: OutputEstimator;
  /** The run's recent requests and their bills, to price the requests that continue them. */
  conversations: ConversationMemory;
  now: () => Date;
  notify: (notice: ProxyNotice) => void;
  rules: ProxyRules;
  /** Daily/weekly ceilings shared by every run of the ledger, when the policy sets any. */
  window?: WindowGate;
  /** Makes an admitted request durable (the ledger's reservation row); it is sent once this resolves. */
  reserve?: (id: string, provider: string) => Promise<void>;
  /** Reads what each request's history shows of retry loops and files read (the run's guards). */
  guards?: { facts(steps: readonly ToolStep[]): GuardFacts };
}

/** Holds each request's reservation against the ceilings shared across runs (the ledger's). */
export interface WindowGate {
  /** Rejects when the ledger fails, or once `signal` aborts (the client left while it waited). */
  hold(id: string, nano: Nano, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; window: WindowInfo; pause: boolean }>;
  /** The request ended without a charge; a settled one is released once its cost is recorded. */
  release(id: string): void;
  /**
   * Resolves when the window may have room again: at its reset, or sooner to look again (later
   * with each `attempt`), or as soon as `signal` aborts.
   */
  waitForRoom(window: WindowInfo, attempt: number, signal?: AbortSignal): Promise<void>;
}

/** Request rules from the run's policy. */
export interface ProxyRules {
  /** Tools removed from every request (by name, or type for built-in tools). */
  restrictedTools: ReadonlySet<string>;
  /** Shell commands that move the agent into its verification phase. */
  verifyPatterns: readonly RegExp[];
  /** How input is priced before a request is sent: cache-aware, or every token at its highest rate. */
  reserve: ReserveMode;
  /** Routes passed through unmetered though capped would refuse them (`allowRoutes`). */
  allowRoutes: readonly AllowedRoute[];
  /** Whether batches are reserved in full and sent, or refused. */
  batches: 'reserve' | 'refuse';
}

export interface Proxy {
  server: http.Server;
  /** Stops listening and destroys every socket, the agent's and the upstream's; no notice follows. */
  close(): void;
  /** Resolves when every request in flight has been settled (or released). */
  idle(): Promise<void>;
  inFlight(): number;
}

/** Builds the metering proxy; the caller decides where it listens. */
export function createProxy(given: ProxyDeps): Proxy {
  // Sockets destroyed by close() report their failure; the run is already accounted for by then.
  let closed = false;
  const deps: ProxyDeps = {
    ...given,
    notify: (notice) => {
      if (!closed) given.notify(notice);
    },
  };
  let active = 0;
  let waiters: (() => void)[] = [];
  const track = async (work: Promise<void>): Promise<void> => {
    active++;
    try {
      await work;
    } finally {
      active--;
      if (active === 0) {
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
      }
    }
  };

  // Batch input files uploaded during the run, to price the batches that name them.
  const uploads = new SeenUploads();
  const server = http.createServer((req, res) => {
    void track(handle(deps, uploads, req, res)).catch((err: unknown) => {
      // A bug in capped must not leave the agent hanging: answer if nothing was sent yet.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`capped: internal proxy error: ${String(err)}`);
    });
  });
  const upgraded = new Set<Duplex>();
  const own = (socket: Duplex): void => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    own(socket);
    handleUpgrade(deps, req, socket, head, (work) => void track(work), own);
  });
  // closeAllConnections() does not reach upgraded (WebSocket) sockets, either side.
  server.on('close', () => {
    for (const socket of upgraded) socket.destroy();
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    close: () => {
      closed = true;
      server.close();
      server.closeAllConnections();
      // Upstream sockets too (a response still streaming, idle keep-alives): nothing may keep
      // capped alive after its record is written, nor settle a request it already charged.
      for (const mount of deps.mounts.values()) {
        mount.upstream.agent.destroy();
        mount.subscriptionUpstream?.agent.destroy();
      }
    },
    inFlight: () => active,
    idle: () => (active === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  };
}

export function listenLoopback(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Where a request goes, or the status and text to refuse it with. */
export type Target =
  | { ok: true; route: Route; pathAndQuery: string; path: string }
  | { ok: false; status: number; text: string };

/** Checks the per-run secret and finds the mount and provider for a request URL. */
export function parseTarget(deps: Pick<ProxyDeps, 'secret' | 'mounts'>, raw: string, method: string, headers: http.IncomingHttpHeaders): Target {
  const prefix = `/${deps.secret}/`;
  if (!raw.startsWith(prefix)) return { ok: false, status: 403, text: 'capped: forbidden: this proxy only serves the agent it was started for.\n' };
  const rest = raw.slice(prefix.length);
  const slash = rest.indexOf('/');
  const mount = slash === -1 ? rest.split('?')[0]! : rest.slice(0, slash);
  const mounted = deps.mounts.get(mount);
  if (!mounted) return { ok: false, status: 404, text: `capped: no provider is mounted at /${mount}.\n` };
  const sent = slash === -1 ? '/' : rest.slice(slash);
  const pathAndQuery = mounted.fixPath ? mounted.fixPath(sent) : sent;
  const path = pathAndQuery.split('?')[0]!;
  return { ok: true, route: resolveRoute(mounted, method, path, headers), pathAndQuery, path };
}

async function handle(deps: ProxyDeps, uploads: SeenUploads, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  if (method === 'POST' && (req.url ?? '').startsWith(`/${deps.secret}/_capped/`)) return control(deps, req, res);
  const target = parseTarget(deps, req.url ?? '/', method, req.headers);
  if (!target.ok) {
    req.resume();
    res.writeHead(target.status, { 'content-type': 'text/plain', 'x-should-retry': 'false' });
    res.end(target.text);
    return;
  }
  const { route, pathAndQuery, path } = target;
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  const kind = classifyRoute(route.provider, method, path, hasBody);
  // Routes the policy lets through pass unmetered; generation is always metered.
  if (kind.kind === 'free' || (kind.kind !== 'generate' && isAllowed(deps.rules.allowRoutes, method, path))) {
    return passThrough(route, req, res, pathAndQuery, null, deps.notify);
  }
  if (kind.kind === 'upload') return passUpload(route, req, res, pathAndQuery, deps.notify, uploads);
  if (kind.kind === 'unknown' || kind.kind === 'unpriced') {
    req.resume();
    const why = kind.kind === 'unpriced' ? kind.why : 'is not a route capped knows to be free or can meter';
    return refuse(deps, route, res, routeRefusal(method, path, why));
  }

  const body = await readBody(req);
  if (body === null) {
    sendError(res, route.provider.error(413, 'capped: request body is larger than the proxy accepts (64 MiB).'));
    return;
  }
  if (kind.kind === 'generate') return handleGeneration(deps, route, req, res, pathAndQuery, body);
  const name = `${method} ${path.replace(/\/+$/, '')}`;
  if (kind.kind === 'batch' && deps.rules.batches === 'refuse') {
    return refuse(deps, route, res, `capped: ${name} is a batch, billed after the run, and this run's policy refuses batches (batches: refuse), so it was not sent. Send the requests one by one, or set batches: reserve in .budgetrc.`);
  }
  const json = asRecord(tryParse(body.toString('utf8')));
  if (!json) return refuse(deps, route, res, routeRefusal(method, path, 'has a body that is not a JSON object, so it cannot be priced'));
  const planned =
    kind.kind === 'batch'
      ? kind.format === 'anthropic'
        ? planAnthropicBatch(deps, route.provider, json, name)
        : planOpenAIBatch(deps, json, name, uploads)
      : kind.shape === 'embeddings'
        ? planEmbeddings(deps, route.provider, json, path, body.length, name)
        : planImages(deps, route.provider, json, body.length, name);
  if (!planned.ok) return refuse(deps, route, res, planned.message);
  return handleReserved(deps, route, req, res, pathAndQuery, body, planned.plan);
}

/** Refuses a request capped will not send, in the provider's own error shape; the run goes on. */
function refuse(deps: ProxyDeps, route: Route, res: http.ServerResponse, message: string): void {
  deps.notify({ type: 'refused', message });
  sendError(res, route.provider.error(400, message));
}

/**
 * The run's control endpoint, for agent hooks (`capped phase verification`): the agent's
 * environment carries its address (CAPPED_CONTROL_URL), secret included.
 */
async function control(deps: ProxyDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readBody(req);
  const what = (req.url ?? '').slice(`/${deps.secret}/_capped/`.length);
  const phase = asRecord(tryParse(body?.toString('utf8') ?? ''))?.phase;
  if (what === 'phase' && (phase === 'verification' || phase === 'implementation')) {
    deps.keeper.dispatch({ type: 'phase', phase, at: deps.now().toISOString() });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ phase }));
    return;
  }
  res.writeHead(400, { 'content-type': 'text/plain' });
  res.end('capped: expected POST _capped/phase with {"phase": "verification" | "implementation"}.\n');
}
