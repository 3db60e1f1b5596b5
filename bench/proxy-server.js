// The proxy under test, wired from dist/ the way src/cli/run.ts wires it for `capped run`:
// createProxy + listenLoopback, the mounts from buildMounts (dist/proxy/mounts.js) with each
// upstream variable (ANTHROPIC_BASE_URL, OPENAI_BASE_URL, GOOGLE_GEMINI_BASE_URL, ...) pointing at
// a fake, one BudgetKeeper, a genai-prices PriceBook, an InputEstimator, the request rules of
// run.ts's built-in policy (no restricted tools, the default verify patterns) and a random secret.
// Differences from run.ts, all outside the request path being measured: the cap is huge
// ($1,000,000) so nothing is ever clamped or refused, the budget engine runs its default policy
// (escalation allowed, no phase ceiling, no selected model), notices are counted instead of
// printed by the LineReporter, there is no supervised agent, journal, record or run log, and one
// extra mount (`events`, the Anthropic provider) reaches a second fake Anthropic for the
// many-small-events stream, since buildMounts has one Anthropic mount.
//
// The "bench wiring" diagnostic column of bench/proxy-overhead.js. Usable two ways:
//  - imported, startProxy() runs the proxy inside the calling process;
//  - run as a script (the default), it is the proxy's own process: it prints one JSON line
//    {"origin": ...} and then answers each line on stdin ("stats") with one JSON line of counters
//    and its CPU time, until stdin closes.
//
// Usage as a script: node bench/proxy-server.js '{"env":{"ANTHROPIC_BASE_URL":...},"extra":{"events":...}}' [capped|bare|tcp]
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { BudgetKeeper } from '../dist/budget/keeper.js';
import { usdToNano } from '../dist/budget/money.js';
import * as phases from '../dist/budget/phases.js';
import { createPriceBook } from '../dist/pricing/price-book.js';
import { createUpstream } from '../dist/proxy/forward.js';
import { ConversationMemory } from '../dist/proxy/conversations.js';
import { InputEstimator } from '../dist/proxy/input-estimator.js';
import { OutputEstimator } from '../dist/proxy/output-estimator.js';
import { buildMounts } from '../dist/proxy/mounts.js';
import { anthropic } from '../dist/proxy/providers/anthropic.js';
import { createProxy, listenLoopback } from '../dist/proxy/server.js';

/** Which upstream variable each of buildMounts' mounts reads (for the bare baseline's routing). */
const MOUNT_VARS = {
  anthropic: 'ANTHROPIC_BASE_URL',
  openai: 'OPENAI_BASE_URL',
  'openai-host': 'OPENAI_HOST',
  gemini: 'GOOGLE_GEMINI_BASE_URL',
};

/**
 * The built-in verify patterns, which run.ts applies when no policy sets its own. They live in
 * dist/config/defaults.js (older builds: dist/budget/phases.js), so both are tried.
 */
async function defaultVerifyPatterns() {
  try {
    const defaults = await import('../dist/config/defaults.js');
    const patterns = defaults.DEFAULT_VERIFY_PATTERNS ?? defaults.POLICY_DEFAULTS?.verifyPatterns;
    if (patterns) return patterns;
  } catch {
    // an older build: see below
  }
  return phases.DEFAULT_VERIFY_PATTERNS ?? [];
}

/**
 * anthropic, openai or gemini, from a settled notice's provider: a provider module's id
 * (openai-chat, openai-responses, gemini) or, in older builds, its pricing id (openai, google).
 */
const family = (provider) => (provider.startsWith('openai') ? 'openai' : provider === 'google' || provider.startsWith('gemini') ? 'gemini' : provider);

const emptyCounts = () => ({ settled: 0, estimated: 0, refused: 0, upstreamErrors: 0, costNano: 0, byProvider: {} });

/**
 * Starts the metering proxy on loopback with buildMounts' mounts plus any extra Anthropic mounts.
 * @param {{ env: Record<string, string>, extra?: Record<string, string> }} spec upstream variables
 *   for buildMounts, and extra mount name → fake Anthropic base URL
 */
export async function startProxy(spec) {
  const mounts = buildMounts(spec.env);
  for (const [mount, url] of Object.entries(spec.extra ?? {})) mounts.set(mount, { providers: [anthropic], upstream: createUpstream(url) });
  // Every cap other than dollars is off (null); caps unknown to this build are ignored. The
  // engine's own default policy (stop at the cap, escalation allowed): one run here sends three
  // providers' models, which a "hold a pricier model" rule would get in the way of.
  const keeper = new BudgetKeeper({ usd: usdToNano(1_000_000), tokens: null, actions: null });
  const counts = emptyCounts();
  const secret = randomBytes(16).toString('hex');
  const proxy = createProxy({
    secret,
    mounts,
    rules: { restrictedTools: new Set(), verifyPatterns: phases.compilePatterns(await defaultVerifyPatterns()), reserve: 'likely' },
    keeper,
    prices: createPriceBook(),
    estimator: new InputEstimator(),
    outputs: new OutputEstimator(),
    conversations: new ConversationMemory(),
    now: () => new Date(),
    notify: (notice) => {
      if (notice.type === 'settled') {
        counts.settled++;
        counts.costNano += notice.costNano;
        if (notice.estimated) counts.estimated++;
        const p = (counts.byProvider[family(notice.provider)] ??= { settled: 0, costNano: 0 });
        p.settled++;
        p.costNano += notice.costNano;
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
        proxy.server.once('close', () => resolve());
        proxy.close();
      }),
  };
}

/**
 * A baseline, not capped: the same URL layout served by a bare Node pass-through (no body
 * buffering, no JSON, no pricing, no meter; script argument `bare`) shows what any Node HTTP hop
 * costs on this machine, and the difference to the real proxy is the cost of metering. WebSocket
 * upgrades are passed through as raw bytes both ways once the upstream has accepted them.
 * @param {{ env: Record<string, string>, extra?: Record<string, string> }} spec as for startProxy
 */
export async function startBareProxy(spec) {
  const secret = randomBytes(16).toString('hex');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const bases = new Map();
  for (const [mount, variable] of Object.entries(MOUNT_VARS)) if (spec.env[variable]) bases.set(mount, new URL(spec.env[variable]));
  for (const [mount, url] of Object.entries(spec.extra ?? {})) bases.set(mount, new URL(url));
  const counts = emptyCounts();
  /** The upstream URL for a proxy URL (`/SECRET/MOUNT/rest?query`), or null. */
  const target = (raw) => {
    const [, key, mount, ...rest] = (raw ?? '/').split('/');
    const base = bases.get(mount ?? '');
    if (key !== secret || !base) return null;
    return new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}/${rest.join('/')}`);
  };
  const server = http.createServer((req, res) => {
    const url = target(req.url);
    if (!url) {
      res.writeHead(404).end();
      return;
    }
    const headers = { ...req.headers, host: url.host };
    delete headers.connection;
    const up = http.request(url, { method: req.method, headers, agent }, (upRes) => {
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
  const upgraded = new Set();
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = target(req.url);
    if (!url) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const up = http.request(url, { method: 'GET', headers: { ...req.headers, host: url.host }, agent: false });
    up.on('upgrade', (upRes, upSocket, upHead) => {
      const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage}`];
      for (let i = 0; i < upRes.rawHeaders.length; i += 2) lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      for (const s of [socket, upSocket]) {
        s.setNoDelay(true);
        upgraded.add(s);
        s.on('close', () => upgraded.delete(s));
      }
      upSocket.on('error', () => upSocket.destroy());
      socket.pipe(upSocket);
      upSocket.pipe(socket);
      counts.wsConnections = (counts.wsConnections ?? 0) + 1;
    });
    up.on('response', (upRes) => {
      upRes.resume();
      socket.end(`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    });
    up.on('error', () => {
      counts.upstreamErrors++;
      socket.destroy();
    });
    up.end();
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
        for (const s of upgraded) s.destroy();
        agent.destroy();
      }),
  };
}

// Run as a script: the proxy's own process, driven over stdin/stdout by the benchmark.
// argv: the spec as JSON ({env, extra}), then "capped" (default), "bare" or "tcp".
/**
 * The floor of any user-space hop: a raw TCP pipe to the Anthropic upstream (script argument
 * `tcp`). It parses nothing, not even HTTP, so it cannot route by mount: only the Anthropic
 * Messages rows go through it, with the upstream's own paths. What it loses to direct is what
 * one more process and two more loopback sockets cost on this machine.
 * @param {{ env: Record<string, string> }} spec as for startProxy (only ANTHROPIC_BASE_URL is used)
 */
export async function startTcpPipe(spec) {
  const upstream = new URL(spec.env.ANTHROPIC_BASE_URL);
  const sockets = new Set();
  const counts = emptyCounts();
  const server = net.createServer((client) => {
    const up = net.connect(Number(upstream.port), upstream.hostname);
    for (const s of [client, up]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.on('error', () => up.destroy());
    up.on('error', () => {
      counts.upstreamErrors++;
      client.destroy();
    });
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    stats: () => ({ ...counts, reserved: 0, inFlight: 0, cpu: process.cpuUsage(), rss: process.memoryUsage().rss }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const start = { bare: startBareProxy, tcp: startTcpPipe }[process.argv[3] ?? ''] ?? startProxy;
  const running = await start(JSON.parse(process.argv[2] ?? '{}'));
  process.stdout.write(`${JSON.stringify({ origin: running.origin })}\n`);
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', () => process.stdout.write(`${JSON.stringify(running.stats())}\n`));
  // Exit (normally, so --cpu-prof can write its profile) once the parent closes stdin or dies.
  input.on('close', () => {
    void running.close().then(() => process.exit(0));
  });
}
