// The proxy under test, wired from dist/ the way src/cli/run.ts wires it for `capped run`:
// createProxy + listenLoopback, one BudgetKeeper, a genai-prices PriceBook, an InputEstimator,
// a keep-alive upstream (createUpstream) per mount, the Anthropic provider and a random secret.
// Differences from run.ts, all outside the request path being measured: the cap is huge
// ($1,000,000) so nothing is ever clamped or refused, notices are counted instead of printed by
// the LineReporter, and there is no supervised agent, record or run log.
//
// Used two ways by bench/proxy-overhead.js:
//  - imported, startProxy() runs the proxy inside the calling process (BENCH_PROXY=inprocess);
//  - run as a script (the default), it is the proxy's own process: it prints one JSON line
//    {"origin": ...} and then answers each line on stdin ("stats") with one JSON line of counters
//    and its CPU time, until stdin closes.
//
// Usage as a script: node bench/proxy-server.js '{"anthropic":"http://127.0.0.1:PORT", ...}'
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { BudgetKeeper } from '../dist/budget/keeper.js';
import { usdToNano } from '../dist/budget/money.js';
import { createPriceBook } from '../dist/pricing/price-book.js';
import { createUpstream } from '../dist/proxy/forward.js';
import { InputEstimator } from '../dist/proxy/input-estimator.js';
import { anthropic } from '../dist/proxy/providers/anthropic.js';
import { createProxy, listenLoopback } from '../dist/proxy/server.js';

/**
 * Starts the metering proxy on loopback with one Anthropic route per mount.
 * @param {Record<string, string>} upstreams mount name → upstream base URL
 */
export async function startProxy(upstreams) {
  const entries = Object.entries(upstreams).map(([mount, url]) => [mount, createUpstream(url)]);
  const mounts = new Map(entries.map(([mount, upstream]) => [mount, { providers: [anthropic], upstream }]));
  // Every cap other than dollars is off (null); caps unknown to this build are ignored.
  const keeper = new BudgetKeeper({ usd: usdToNano(1_000_000), tokens: null, actions: null });
  const counts = { settled: 0, estimated: 0, refused: 0, upstreamErrors: 0, costNano: 0 };
  const secret = randomBytes(16).toString('hex');
  const proxy = createProxy({
    secret,
    mounts,
    rules: { restrictedTools: new Set(), verifyPatterns: [] },
    keeper,
    prices: createPriceBook(),
    estimator: new InputEstimator(),
    now: () => new Date(),
    notify: (notice) => {
      if (notice.type === 'settled') {
        counts.settled++;
        counts.costNano += notice.costNano;
        if (notice.estimated) counts.estimated++;
      } else if (notice.type === 'refused') counts.refused++;
      else if (notice.type === 'upstream-error') counts.upstreamErrors++;
    },
  });
  const port = await listenLoopback(proxy.server);
  return {
    /** What run.ts hands the agent, less the mount: http://127.0.0.1:PORT/SECRET */
    origin: `http://127.0.0.1:${port}/${secret}`,
    stats: () => ({
      ...counts,
      reserved: Object.keys(keeper.state.reserved).length,
      inFlight: proxy.inFlight(),
      cpu: process.cpuUsage(),
      rss: process.memoryUsage().rss,
    }),
    close: () =>
      new Promise((resolve) => {
        proxy.server.close(() => resolve());
        proxy.server.closeAllConnections();
      }),
  };
}

/**
 * A baseline, not capped: the same URL layout served by a bare Node pass-through (no body
 * buffering, no JSON, no pricing, no meter), so `BENCH_PROXY=bare` shows what any Node HTTP hop
 * costs on this machine, and the difference to the real proxy is the cost of metering.
 * @param {Record<string, string>} upstreams mount name → upstream base URL
 */
export async function startBareProxy(upstreams) {
  const secret = randomBytes(16).toString('hex');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const bases = new Map(Object.entries(upstreams).map(([mount, url]) => [mount, new URL(url)]));
  const counts = { settled: 0, estimated: 0, refused: 0, upstreamErrors: 0, costNano: 0 };
  const server = http.createServer((req, res) => {
    const [, key, mount, ...rest] = (req.url ?? '/').split('/');
    const base = bases.get(mount ?? '');
    if (key !== secret || !base) {
      res.writeHead(404).end();
      return;
    }
    const headers = { ...req.headers, host: base.host };
    delete headers.connection;
    const up = http.request(new URL(`/${rest.join('/')}`, base), { method: req.method, headers, agent }, (upRes) => {
      const out = { ...upRes.headers };
      delete out.connection;
      delete out['keep-alive'];
      delete out['transfer-encoding'];
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
      upRes.on('end', () => counts.settled++);
    });
    up.on('error', () => {
      counts.upstreamErrors++;
      res.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}/${secret}`,
    stats: () => ({ ...counts, reserved: 0, inFlight: 0, cpu: process.cpuUsage(), rss: process.memoryUsage().rss }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

// Run as a script: the proxy's own process, driven over stdin/stdout by the benchmark.
// argv: upstreams as JSON, then "capped" (default) or "bare".
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const start = process.argv[3] === 'bare' ? startBareProxy : startProxy;
  const running = await start(JSON.parse(process.argv[2] ?? '{}'));
  process.stdout.write(`${JSON.stringify({ origin: running.origin })}\n`);
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', () => process.stdout.write(`${JSON.stringify(running.stats())}\n`));
  // Exit (normally, so --cpu-prof can write its profile) once the parent closes stdin or dies.
  input.on('close', () => {
    void running.close().then(() => process.exit(0));
  });
}
