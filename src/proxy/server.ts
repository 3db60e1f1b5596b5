import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ownConnections } from './agent-connection.js';
import type { AgentRequest } from './agent-request.js';
import type { AgentResponse } from './agent-response.js';
import { handleGeneration } from './generation.js';
import { handleUpgrade } from './websocket.js';
import { passThrough, readBody, sendError } from './exchange.js';
import { tryParse, asRecord } from './providers/json.js';
import type { ProxyDeps, Route } from './proxy-deps.js';
import { handleReserved } from './reserved.js';
import { planAnthropicBatch, planEmbeddings, planImages, planOpenAIBatch } from './route-plans.js';
import { passUpload, SeenUploads } from './uploads.js';
import { RequestBodies } from './request-bodies.js';
import { classifyRoute, isAllowed, routeRefusal } from './routes.js';
import { parseTarget } from './target.js';

// Re-exported: the run wires the proxy with these (the journal's window gate, the mounts).
export type { Mount, ProxyDeps, ProxyRules, Route, WindowGate } from './proxy-deps.js';

export interface Proxy {
  server: http.Server;
  /** Stops listening and destroys every socket, the agent's and the upstream's; no notice follows. */
  close(): void;
  /** Resolves when every request in flight has been settled (or released). */
  idle(): Promise<void>;
  inFlight(): number;
  /**
   * Makes each upstream's connection pools now, ahead of the first request, which would otherwise
   * wait for them: for an https upstream that loads https and tls (about 4 ms).
   */
  warm(): void;
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
  // The conversations' latest bodies, so a resent history is not parsed again.
  const bodies = new RequestBodies();
  const serve = (req: AgentRequest, res: AgentResponse): void => {
    void track(handle(deps, { uploads, bodies }, req, res)).catch((err: unknown) => {
      // A bug in capped must not leave the agent hanging: answer if nothing was sent yet.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`capped: internal proxy error: ${String(err)}`);
    });
  };
  const server = http.createServer(serve);
  server.keepAliveTimeout = 65_000;
  const own = ownConnections(server, serve);
  const upgraded = new Set<Duplex>();
  const keep = (socket: Duplex): void => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    keep(socket);
    handleUpgrade(deps, req, socket, head, (work) => void track(work), keep);
  });
  // closeAllConnections() does not reach upgraded (WebSocket) sockets, either side.
  server.on('close', () => {
    for (const socket of upgraded) socket.destroy();
  });

  return {
    server,
    close: () => {
      closed = true;
      server.close();
      server.closeAllConnections();
      own.closeAll();
      // Upstream sockets too (a response still streaming, idle keep-alives): nothing may keep
      // capped alive after its record is written, nor settle a request it already charged.
      for (const mount of deps.mounts.values()) {
        mount.upstream.close();
        mount.subscriptionUpstream?.close();
      }
    },
    inFlight: () => active,
    warm: () => {
      for (const mount of deps.mounts.values()) {
        for (const upstream of [mount.upstream, mount.subscriptionUpstream]) {
          void upstream?.agent;
          void upstream?.pool;
        }
      }
    },
    idle: () => (active === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  };
}

export function listenLoopback(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** What the proxy remembers across requests, besides the budget: uploaded batch files, recent bodies. */
interface Seen {
  uploads: SeenUploads;
  bodies: RequestBodies;
}

async function handle(deps: ProxyDeps, { uploads, bodies }: Seen, req: AgentRequest, res: AgentResponse): Promise<void> {
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
  if (kind.kind === 'generate') return handleGeneration(deps, route, req, res, pathAndQuery, body, bodies);
  const name = `${method} ${path.replace(/\/+$/, '')}`;
  if (kind.kind === 'batch' && deps.rules.batches === 'refuse') {
    return refuse(
      deps,
      route,
      res,
      `capped: ${name} is a batch, billed after the run, and this run's policy refuses batches (batches: ` +
        `refuse), so it was not sent. Send the requests one by one, or set batches: reserve in .budgetrc.`,
    );
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
function refuse(deps: ProxyDeps, route: Route, res: AgentResponse, message: string): void {
  deps.notify({ type: 'refused', message });
  sendError(res, route.provider.error(400, message));
}

/**
 * The run's control endpoint, for agent hooks (`capped phase verification`): the agent's
 * environment carries its address (CAPPED_CONTROL_URL), secret included.
 */
async function control(deps: ProxyDeps, req: AgentRequest, res: AgentResponse): Promise<void> {
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
