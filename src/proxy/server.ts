import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BudgetKeeper } from '../budget/keeper.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { InputEstimator } from './input-estimator.js';
import type { Upstream } from './forward.js';
import { handleGeneration } from './generation.js';
import { passThrough, readBody, sendError, type ProxyNotice } from './exchange.js';
import { tryParse, asRecord } from './providers/json.js';
import type { Provider } from './providers/types.js';

export interface Route {
  provider: Provider;
  upstream: Upstream;
}

export interface ProxyDeps {
  /** Random path segment every request must start with; anything else gets 403. */
  secret: string;
  routes: ReadonlyMap<string, Route>;
  keeper: BudgetKeeper;
  prices: PriceBook;
  estimator: InputEstimator;
  now: () => Date;
  notify: (notice: ProxyNotice) => void;
}

export interface Proxy {
  server: http.Server;
  /** Resolves when every request in flight has been settled (or released). */
  idle(): Promise<void>;
  inFlight(): number;
}

/** Builds the metering proxy; the caller decides where it listens. */
export function createProxy(deps: ProxyDeps): Proxy {
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

  const server = http.createServer((req, res) => {
    void track(handle(deps, req, res)).catch((err: unknown) => {
      // A bug in capped must not leave the agent hanging: answer if nothing was sent yet.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`capped: internal proxy error: ${String(err)}`);
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
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

async function handle(deps: ProxyDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const raw = req.url ?? '/';
  const prefix = `/${deps.secret}/`;
  if (!raw.startsWith(prefix)) {
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain', 'x-should-retry': 'false' });
    res.end('capped: forbidden: this proxy only serves the agent it was started for.\n');
    return;
  }
  const rest = raw.slice(prefix.length);
  const slash = rest.indexOf('/');
  const mount = slash === -1 ? rest.split('?')[0]! : rest.slice(0, slash);
  const route = deps.routes.get(mount);
  if (!route) {
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain', 'x-should-retry': 'false' });
    res.end(`capped: no provider is mounted at /${mount}.\n`);
    return;
  }
  const pathAndQuery = slash === -1 ? '/' : rest.slice(slash);
  const path = pathAndQuery.split('?')[0]!;
  const method = req.method ?? 'GET';
  const kind = route.provider.classify(method, path);
  if (kind === 'free') return passThrough(route, req, res, pathAndQuery, null, deps.notify);

  const body = await readBody(req);
  if (body === null) {
    sendError(res, route.provider.error(413, 'capped: request body is larger than the proxy accepts (64 MiB).'));
    return;
  }
  if (kind === 'other') {
    // Fail closed: a POST that names a model on an endpoint capped does not meter could spend
    // outside the cap, so it is refused; anything else (uploads, listings) passes through.
    if (asRecord(tryParse(body.toString('utf8')))?.model !== undefined) {
      const message = `capped: ${path} is not an endpoint capped can meter, so the request was refused to keep the cap intact.`;
      deps.notify({ type: 'refused', message });
      sendError(res, route.provider.error(400, message));
      return;
    }
    return passThrough(route, req, res, pathAndQuery, body, deps.notify);
  }
  return handleGeneration(deps, route, req, res, pathAndQuery, body);
}
