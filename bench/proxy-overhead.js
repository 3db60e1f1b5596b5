// Proxy overhead benchmark: how much latency and throughput `capped` costs an agent, measured as
// the same requests sent straight to a fake upstream and through the metering proxy, for each
// provider's streaming path: Anthropic Messages (JSON, SSE, big and many-event streams), OpenAI
// Chat Completions (streaming, with the include_usage the proxy injects), OpenAI Responses (SSE),
// Gemini streamGenerateContent?alt=sse, and OpenAI Responses over one WebSocket.
//
//   npm run bench                  (builds dist/ first)
//   node bench/proxy-overhead.js   (uses the dist/ that is there)
//
// Process layout (why): client, proxy and upstream each run in a process of their own, as the
// agent, capped and the provider do in real use. Sharing one event loop would hide real costs
// (the proxy waking up in another process, its own GC, competing for the CPU) and would add
// fake ones (the client's timing work queued behind the proxy's callbacks, or the upstream's
// JSON/SSE generation in the proxy's loop). The upstream is always a child process
// (bench/fake-upstream.js, the test fixtures' fakes). The proxy is a child process too
// (bench/proxy-server.js: the mounts of buildMounts, as `capped run` has them, with every
// upstream variable pointing at a fake) unless BENCH_PROXY=inprocess, which runs it inside this
// measuring process (cheaper wake-ups, but the client and proxy then share one CPU core and one
// heap: useful to compare, not the headline).
// One thing the layout cannot make real: the upstream's CPU. Here it runs on the same machine, so
// during a stream three busy processes share the cores (on a 2-core box the proxied path gets
// less CPU than the direct one, which has only two); in real use the provider's work happens on
// the provider's machine. The report therefore also gives the proxy's own CPU time per MB (its
// ceiling on one free core), and BENCH_PROXY=bare swaps capped for a bare Node pass-through to
// show what any extra Node hop costs on this machine.
//
// Method: one keep-alive connection per path and upstream (HTTP agents with maxSockets 1; one
// WebSocket per path for the WebSocket rows), strictly sequential requests, a warm-up first, and
// direct/proxy requests interleaved (ABAB, with the order flipped every other pair) so drift (CPU
// frequency, JIT, GC, other load) hits both sides alike. Latency and TTFB are wall-clock from the
// moment the request is issued; "added" is the proxy's percentile minus the direct percentile.
// Every proxied body is checked (after the clock stops) to be byte-for-byte the direct one, and
// the proxy's meter must have settled every request (and, for OpenAI and Gemini, metered what the
// fake upstream billed).
//
// Environment (all optional):
//   BENCH_N=2000          JSON (non-streaming) requests per path
//   BENCH_SSE_N=1000      small streaming requests per path and provider (TTFB)
//   BENCH_WS_N=1000       small response.create messages per WebSocket (first/terminal event)
//   BENCH_STREAM_N=16     large Anthropic streams per path (throughput, few big SSE events)
//   BENCH_PROVIDER_STREAM_N=16 large streams per path for each other provider
//   BENCH_STREAM_MB=4     size of each large stream (OpenAI Chat's comes out ~1/4 of it)
//   BENCH_EVENTS_N=8      many-small-events streams per path (throughput, ~30k SSE events)
//   BENCH_TOOL_CALLS=10000  tool_use blocks (3 events each) in a many-small-events stream
//   BENCH_BODY_KB=8       request body size (the prompt), which the proxy reads and parses whole
//   BENCH_WARMUP=300      warm-up JSON requests per path (small streams and WebSocket get half, big streams 1-2)
//   BENCH_PROVIDERS=chat,responses,gemini,ws   which provider paths beside Anthropic to run
//                         ("none" for Anthropic only)
//   BENCH_PROXY=child     child (capped in its own process) | inprocess (capped in this process) |
//                         bare (baseline: a plain Node pass-through proxy, no metering)
//   BENCH_PROXY_NODE_ARGS Node flags for the proxy child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
//   BENCH_TIMEOUT_S=180   abort (exit 1) if the whole run takes longer than this
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectWebSocket } from './ws-client.js';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

class ConfigError extends Error {}

function envInt(name, fallback, min = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}

const PROVIDER_PATHS = ['chat', 'responses', 'gemini', 'ws'];

function providerList(raw) {
  if (raw === undefined || raw.trim() === '') return [...PROVIDER_PATHS];
  if (raw.trim() === 'none') return [];
  const list = raw.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = list.filter((p) => !PROVIDER_PATHS.includes(p));
  if (unknown.length > 0) throw new ConfigError(`BENCH_PROVIDERS takes a comma list of ${PROVIDER_PATHS.join(', ')} (or "none"), got "${raw}"`);
  return PROVIDER_PATHS.filter((p) => list.includes(p));
}

function loadConfig() {
  const c = {
    jsonN: Math.floor(envInt('BENCH_N', 2000, 1)),
    sseN: Math.floor(envInt('BENCH_SSE_N', 1000, 1)),
    wsN: Math.floor(envInt('BENCH_WS_N', 1000, 1)),
    streamN: Math.floor(envInt('BENCH_STREAM_N', 16, 1)),
    providerStreamN: Math.floor(envInt('BENCH_PROVIDER_STREAM_N', 16, 1)),
    streamMb: envInt('BENCH_STREAM_MB', 4, 0.01),
    eventsN: Math.floor(envInt('BENCH_EVENTS_N', 8, 0)),
    toolCalls: Math.floor(envInt('BENCH_TOOL_CALLS', 10_000, 1)),
    bodyKb: envInt('BENCH_BODY_KB', 8, 0),
    warmup: Math.floor(envInt('BENCH_WARMUP', 300, 0)),
    providers: providerList(process.env.BENCH_PROVIDERS),
    proxyMode: process.env.BENCH_PROXY?.trim() || 'child',
    proxyNodeArgs: (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    timeoutS: envInt('BENCH_TIMEOUT_S', 180, 1),
  };
  if (!['child', 'inprocess', 'bare'].includes(c.proxyMode)) {
    throw new ConfigError(`BENCH_PROXY must be "child", "inprocess" or "bare", got "${c.proxyMode}"`);
  }
  return c;
}

let config;

const TARGET_ADDED_P50_MS = 0.5;
const TARGET_THROUGHPUT_RATIO = 0.9;
const MODEL = 'claude-haiku-4-5';
const OPENAI_MODEL = 'gpt-4.1-mini';
const GEMINI_MODEL = 'gemini-2.5-flash';
/** Credentials as each provider's clients send them (fakes only; nothing leaves loopback). */
const HEADERS = {
  anthropic: { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-bench-not-a-real-key' },
  openai: { authorization: 'Bearer sk-bench-not-a-real-key' },
  gemini: { 'x-goog-api-key': 'bench-not-a-real-key' },
};

// ---------------------------------------------------------------------------------------------
// Child processes: each prints one JSON line when ready, then one JSON line per stdin line.

const children = [];

function spawnNodeChild(script, args, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, here(script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const buffered = [];
  const waiting = [];
  let exited = null;
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w.resolve(JSON.parse(line));
    else buffered.push(line);
  });
  const exitedPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = `${script} exited (${code ?? signal})`;
      for (const w of waiting.splice(0)) w.reject(new Error(exited));
      resolve();
    });
  });
  const next = () => {
    if (buffered.length > 0) return Promise.resolve(JSON.parse(buffered.shift()));
    if (exited) return Promise.reject(new Error(exited));
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  const handle = {
    next,
    ask: () => {
      child.stdin.write('stats\n');
      return next();
    },
    /** Closes stdin (the child exits by itself, writing any --cpu-prof profile); kills it if slow. */
    stop: async () => {
      if (exited) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedPromise;
      clearTimeout(timer);
    },
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  };
  children.push(handle);
  return handle;
}

// ---------------------------------------------------------------------------------------------
// The client.

/** The prompt: BENCH_BODY_KB of text. */
function promptText() {
  const prompt = 'Summarise the repository layout and list the next steps. '.repeat(Math.max(1, Math.ceil((config.bodyKb * 1024) / 58)));
  return prompt.slice(0, Math.max(1, Math.round(config.bodyKb * 1024)));
}

function messagesBody(maxTokens, stream) {
  return Buffer.from(
    JSON.stringify({
      model: MODEL,
      max_tokens: maxTokens,
      stream,
      system: 'You are a coding agent.',
      messages: [{ role: 'user', content: promptText() }],
    }),
  );
}

// The OpenAI and Gemini fakes run a one-call tool loop: a request that already carries the answer
// to the tool call gets a small text answer (the TTFB shape); one that does not gets the big tool
// call (the big-stream shape). See bench/fake-upstream.js.
const EXEC_PARAMS = { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] };

/** A streaming Chat Completions request, as an agent on the Chat API sends it (no include_usage: the proxy adds it). */
function chatBody(answered) {
  const messages = [
    { role: 'system', content: 'You are a coding agent.' },
    { role: 'user', content: promptText() },
  ];
  if (answered) {
    messages.push(
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'README.md\nsrc\n' },
    );
  }
  const tools = [{ type: 'function', function: { name: 'exec_command', description: 'Runs a shell command.', parameters: EXEC_PARAMS } }];
  return Buffer.from(JSON.stringify({ model: OPENAI_MODEL, stream: true, messages, tools }));
}

/** A Responses request (the fields of a WebSocket `response.create` too), as Codex sends it. */
function responsesRequest(answered) {
  const input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: promptText() }] }];
  if (answered) {
    input.push(
      { type: 'function_call', call_id: 'call_1', name: 'exec_command', arguments: '{"cmd":"ls"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'README.md\nsrc\n' },
    );
  }
  return {
    model: OPENAI_MODEL,
    instructions: 'You are a coding agent.',
    input,
    tools: [{ type: 'function', name: 'exec_command', description: 'Runs a shell command.', parameters: EXEC_PARAMS, strict: false }],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    store: false,
  };
}

/** A streamGenerateContent request body, as Gemini CLI (@google/genai) sends it. */
function geminiBody(answered) {
  const contents = [{ role: 'user', parts: [{ text: promptText() }] }];
  if (answered) {
    contents.push(
      { role: 'model', parts: [{ functionCall: { name: 'run_shell_command', args: { command: 'ls' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'run_shell_command', response: { output: 'README.md\nsrc\n' } } }] },
    );
  }
  return Buffer.from(
    JSON.stringify({
      contents,
      systemInstruction: { role: 'user', parts: [{ text: 'You are a coding agent.' }] },
      tools: [{ functionDeclarations: [{ name: 'run_shell_command', description: 'Runs a shell command.', parametersJsonSchema: EXEC_PARAMS }] }],
      generationConfig: { temperature: 0, topP: 1 },
    }),
  );
}

/**
 * One POST, timed from issue. Resolves with status, time to the first body byte, time to the end,
 * the body size and its chunks (kept by reference only; compared after the clock stops).
 */
function post(agent, url, body, headers = HEADERS.anthropic) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        ...headers,
        'user-agent': 'capped-bench/1',
      },
    });
    req.on('response', (res) => {
      let first = -1;
      let bytes = 0;
      const chunks = [];
      res.on('data', (chunk) => {
        if (first < 0) first = performance.now();
        bytes += chunk.length;
        chunks.push(chunk);
      });
      res.on('end', () => {
        const end = performance.now();
        resolve({ status: res.statusCode, ttfb: (first < 0 ? end : first) - t0, total: end - t0, bytes, chunks });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether a Responses WebSocket message ends its response (the fixture and the proxy put `type` first). */
const TERMINAL_WS = /^\{"type":"(response\.(completed|failed|incomplete)|error)"/;
const isTerminalWs = (message) => TERMINAL_WS.test(message.subarray(0, 48).toString('latin1'));

/** One response.create over an open WebSocket, as a sample like post()'s (bytes: message payloads). */
async function wsExchange(ws, text) {
  const got = await ws.request(text, isTerminalWs);
  const head = got.last.subarray(0, 48).toString('latin1');
  if (!head.startsWith('{"type":"response.completed"')) got.status = `a terminal ${got.last.toString('utf8').slice(0, 300)}`;
  return got;
}

/** A response body with the fake Anthropic's per-request message id blanked out. */
const normalised = (chunks) => Buffer.concat(chunks).toString('latin1').replace(/msg_\d+/g, 'msg_N');
/** Anthropic: one fake serves both paths, so only the message id may differ. */
const sameAnthropic = (a, b) => normalised(a) === normalised(b);
/** OpenAI and Gemini over HTTP: twin fakes, so the bodies must be identical (however the bytes were chunked). */
const sameBytes = (a, b) => Buffer.concat(a).equals(Buffer.concat(b));
/** WebSocket: the same messages, each identical. */
const sameMessages = (a, b) => a.length === b.length && a.every((m, i) => m.equals(b[i]));

const problems = [];

/**
 * Sends `n` requests down each path, interleaved, after `warmup` unmeasured pairs; returns the
 * samples of each side, and the first measured direct body (its chunks) to describe the stream.
 * `send.direct()` / `send.proxy()` issue one request and resolve with a sample. Checks status 200,
 * and that the proxy passed on exactly what the upstream sent (`same`).
 */
async function pairs(label, n, warmup, send, same = sameAnthropic) {
  const samples = { direct: [], proxy: [], firstBody: null };
  let mismatches = 0;
  for (let i = -warmup; i < n; i++) {
    const order = i % 2 === 0 ? ['direct', 'proxy'] : ['proxy', 'direct'];
    const got = {};
    for (const side of order) got[side] = await send[side]();
    for (const side of order) {
      const status = got[side].status;
      if (status !== 200) throw new Error(`${label}: ${side} answered ${typeof status === 'number' ? `HTTP ${status}` : status}`);
    }
    if (!same(got.direct.chunks, got.proxy.chunks)) mismatches++;
    if (i === 0) samples.firstBody = got.direct.chunks;
    got.direct.chunks = got.proxy.chunks = got.direct.last = got.proxy.last = null;
    if (i >= 0) {
      samples.direct.push(got.direct);
      samples.proxy.push(got.proxy);
    }
  }
  if (mismatches > 0) problems.push(`${label}: ${mismatches} proxied response bodies differed from the direct ones`);
  return samples;
}

/** Events in an SSE body (blank-line separated), or messages in a WebSocket sample. */
function eventCount(chunks, ws) {
  if (ws) return chunks.length;
  return Buffer.concat(chunks).toString('latin1').split(/\r?\n\r?\n/).filter((e) => e.trim() !== '').length;
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table.

/** Nearest-rank percentile of unsorted numbers. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}
const median = (values) => percentile(values, 50);
const ms = (x) => x.toFixed(3);
const signedMs = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(3)} ms`;

function table(rows) {
  const header = ['metric', 'direct', 'via proxy', 'added / ratio', 'target'];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function latencyRows(name, direct, proxy, withTarget) {
  const rows = [];
  for (const p of [50, 99]) {
    const d = percentile(direct, p);
    const x = percentile(proxy, p);
    const added = x - d;
    let target = '-';
    if (p === 50 && withTarget) {
      const pass = added < TARGET_ADDED_P50_MS;
      target = `added < ${TARGET_ADDED_P50_MS} ms: ${pass ? 'PASS' : 'FAIL'}`;
    }
    rows.push([`${name} p${p} (ms)`, ms(d), ms(x), signedMs(added), target]);
  }
  return rows;
}

function throughputRow(name, direct, proxy) {
  const d = median(direct);
  const x = median(proxy);
  const ratio = x / d;
  const pass = ratio >= TARGET_THROUGHPUT_RATIO;
  return [
    `${name} (MB/s, median)`,
    d.toFixed(1),
    x.toFixed(1),
    `${(ratio * 100).toFixed(1)} %`,
    `>= ${TARGET_THROUGHPUT_RATIO * 100} %: ${pass ? 'PASS' : 'FAIL'}`,
  ];
}

// ---------------------------------------------------------------------------------------------

async function main() {
  for (const file of ['../dist/proxy/server.js', '../dist/proxy/mounts.js', '../dist/budget/keeper.js', '../dist/pricing/price-book.js']) {
    if (!existsSync(here(file))) {
      console.error(`bench: ${file.slice(3)} is missing; run \`npm run build\` first (or use \`npm run bench\`).`);
      return 1;
    }
  }
  const started = performance.now();
  const loadAtStart = os.loadavg()[0];
  const deadline = setTimeout(() => {
    console.error(`bench: aborted after ${config.timeoutS} s (BENCH_TIMEOUT_S); something is stuck or the machine is very slow.`);
    for (const c of children) c.kill();
    process.exit(1);
  }, config.timeoutS * 1000);
  deadline.unref();

  // Big tool calls: a Responses stream repeats the OpenAI fake's command ~9 times, so ~1/9 of
  // BENCH_STREAM_MB makes the Responses stream (HTTP and WebSocket) about that size; Chat carries
  // it twice. Gemini sends its function call's arguments once.
  const streamBytes = config.streamMb * 1024 * 1024;
  const upstream = spawnNodeChild('fake-upstream.js', [
    JSON.stringify({ toolCalls: config.toolCalls, openaiBigBytes: Math.round(streamBytes / 9), geminiBigBytes: Math.round(streamBytes) }),
  ]);
  const up = await upstream.next();
  // The proxy's upstreams, as `capped run` would find them in the user's environment; every mount
  // (openai-host included) points at a fake, so nothing leaves loopback.
  const proxySpec = {
    env: {
      ANTHROPIC_BASE_URL: up.plain,
      OPENAI_BASE_URL: `${up.openai.proxy}/v1`,
      OPENAI_HOST: up.openai.proxy,
      GOOGLE_GEMINI_BASE_URL: up.gemini.proxy,
    },
    extra: { events: up.events },
  };

  let proxyOrigin;
  let proxyStats;
  let closeInProcess = null;
  if (config.proxyMode !== 'inprocess') {
    const kind = config.proxyMode === 'bare' ? 'bare' : 'capped';
    const proxyChild = spawnNodeChild('proxy-server.js', [JSON.stringify(proxySpec), kind], config.proxyNodeArgs);
    proxyOrigin = (await proxyChild.next()).origin;
    proxyStats = () => proxyChild.ask();
  } else {
    const { startProxy } = await import('./proxy-server.js');
    const running = await startProxy(proxySpec);
    proxyOrigin = running.origin;
    proxyStats = () => Promise.resolve(running.stats());
    closeInProcess = running.close;
  }

  const directAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const proxyAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const paths = (mount, upstreamUrl) => ({
    direct: { agent: directAgent, url: `${upstreamUrl}/v1/messages` },
    proxy: { agent: proxyAgent, url: `${proxyOrigin}/${mount}/v1/messages` },
  });
  const httpSend = (p, body, headers) => ({
    direct: () => post(p.direct.agent, p.direct.url, body, headers),
    proxy: () => post(p.proxy.agent, p.proxy.url, body, headers),
  });
  const plain = paths('anthropic', up.plain);
  const events = paths('events', up.events);

  const cpuMs = (a, b) => (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000;
  const proxyCpu = {};
  const measure = async (key, fn) => {
    const before = await proxyStats();
    const result = await fn();
    const after = await proxyStats();
    proxyCpu[key] = cpuMs(before, after);
    return result;
  };

  const say = (text) => process.stderr.write(`bench: ${text}\n`);
  /** Proxied requests sent, by provider family. */
  const proxied = { anthropic: 0, openai: 0, gemini: 0 };
  let proxiedWs = 0;

  // 1. Non-streaming JSON: ~0.9 KB answers (600 bytes of generated text).
  say(`JSON: ${config.warmup} warm-up + ${config.jsonN} measured requests per path...`);
  const jsonBody = messagesBody(200, false);
  const json = await measure('json', () => pairs('JSON', config.jsonN, config.warmup, httpSend(plain, jsonBody)));
  proxied.anthropic += config.warmup + config.jsonN;

  // 2. Small streams (27 SSE events, ~3.8 KB): time to the first byte of the body.
  const sseWarm = Math.ceil(config.warmup / 2);
  say(`SSE TTFB: ${sseWarm} warm-up + ${config.sseN} measured streams per path...`);
  const sseBody = messagesBody(200, true);
  const sse = await measure('sse', () => pairs('SSE', config.sseN, sseWarm, httpSend(plain, sseBody)));
  proxied.anthropic += sseWarm + config.sseN;

  // 3a. Large streams: max_tokens sets the size (3 bytes a token over at most 20 deltas).
  const bigTokens = Math.ceil(streamBytes / 3);
  say(`stream throughput: 2 warm-up + ${config.streamN} measured ${config.streamMb} MB streams per path...`);
  const big = await measure('big', () => pairs('large stream', config.streamN, 2, httpSend(plain, messagesBody(bigTokens, true))));
  proxied.anthropic += 2 + config.streamN;

  // 3b. Many small events (tool_use blocks), the per-event cost of the proxy's SSE meter.
  let many = null;
  if (config.eventsN > 0) {
    say(`event throughput: 1 warm-up + ${config.eventsN} measured streams of ~${config.toolCalls * 3} events per path...`);
    many = await measure('many', () => pairs('many-events stream', config.eventsN, 1, httpSend(events, messagesBody(1, true))));
    proxied.anthropic += 1 + config.eventsN;
  }

  // 4. The other providers' streaming paths: per provider a small stream (TTFB) and a big one
  //    (throughput). The OpenAI and Gemini fakes are twins (one per path), so bodies must match exactly.
  const twin = (base, directPath, proxyPath) => ({
    direct: { agent: directAgent, url: `${base.direct}${directPath}` },
    proxy: { agent: proxyAgent, url: `${proxyOrigin}${proxyPath}` },
  });
  const providerCases = [];
  if (config.providers.includes('chat')) {
    const p = twin(up.openai, '/v1/chat/completions', '/openai/chat/completions');
    providerCases.push(
      { key: 'chatSse', provider: 'openai', kind: 'ttfb', name: 'OpenAI Chat SSE TTFB', send: httpSend(p, chatBody(true), HEADERS.openai) },
      { key: 'chatBig', provider: 'openai', kind: 'stream', name: 'OpenAI Chat stream', send: httpSend(p, chatBody(false), HEADERS.openai) },
    );
  }
  if (config.providers.includes('responses')) {
    const p = twin(up.openai, '/v1/responses', '/openai/responses');
    const body = (answered) => Buffer.from(JSON.stringify({ ...responsesRequest(answered), stream: true }));
    providerCases.push(
      { key: 'respSse', provider: 'openai', kind: 'ttfb', name: 'OpenAI Responses SSE TTFB', send: httpSend(p, body(true), HEADERS.openai) },
      { key: 'respBig', provider: 'openai', kind: 'stream', name: 'OpenAI Responses stream', send: httpSend(p, body(false), HEADERS.openai) },
    );
  }
  if (config.providers.includes('gemini')) {
    const path = `/v1beta/models/${GEMINI_MODEL}:streamGenerateContent?alt=sse`;
    const p = twin(up.gemini, path, `/gemini${path}`);
    providerCases.push(
      { key: 'gemSse', provider: 'gemini', kind: 'ttfb', name: 'Gemini SSE TTFB', send: httpSend(p, geminiBody(true), HEADERS.gemini) },
      { key: 'gemBig', provider: 'gemini', kind: 'stream', name: 'Gemini stream', send: httpSend(p, geminiBody(false), HEADERS.gemini) },
    );
  }
  let sockets = null;
  if (config.providers.includes('ws')) {
    // One WebSocket per path, opened once (the handshake is not timed), then sequential
    // response.create messages, as Codex sends them.
    sockets = {
      direct: await connectWebSocket(`${up.openai.direct}/v1/responses`, HEADERS.openai),
      proxy: await connectWebSocket(`${proxyOrigin}/openai/responses`, HEADERS.openai),
    };
    const create = (answered) => JSON.stringify({ type: 'response.create', ...responsesRequest(answered) });
    const wsSend = (text) => ({ direct: () => wsExchange(sockets.direct, text), proxy: () => wsExchange(sockets.proxy, text) });
    providerCases.push(
      { key: 'wsSmall', provider: 'openai', kind: 'ws', ws: true, name: 'Responses WS', send: wsSend(create(true)) },
      { key: 'wsBig', provider: 'openai', kind: 'stream', ws: true, name: 'Responses WS stream', send: wsSend(create(false)) },
    );
  }
  const results = {};
  for (const c of providerCases) {
    const small = c.kind !== 'stream';
    c.n = c.kind === 'ws' ? config.wsN : small ? config.sseN : config.providerStreamN;
    c.warm = small ? sseWarm : 2;
    say(`${c.name}: ${c.warm} warm-up + ${c.n} measured ${small ? 'small' : 'large'} ${c.ws ? 'responses' : 'streams'} per path...`);
    const same = c.ws ? sameMessages : sameBytes;
    results[c.key] = await measure(c.key, () => pairs(c.name, c.n, c.warm, c.send, same));
    proxied[c.provider] += c.warm + c.n;
    if (c.ws) proxiedWs += c.warm + c.n;
  }
  if (sockets) {
    sockets.direct.close();
    sockets.proxy.close();
  }

  // Everything sent has been answered; wait (briefly) for the proxy to see the WebSockets close.
  let final = await proxyStats();
  for (let i = 0; i < 40 && final.inFlight > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    final = await proxyStats();
  }
  const billed = await upstream.ask();
  const elapsed = (performance.now() - started) / 1000;

  // ------------------------------------------------------------------- report
  const mbps = (s) => s.bytes / (1024 * 1024) / (s.total / 1000);
  const rows = [
    ...latencyRows('JSON latency', json.direct.map((s) => s.total), json.proxy.map((s) => s.total), true),
    ...latencyRows('SSE TTFB', sse.direct.map((s) => s.ttfb), sse.proxy.map((s) => s.ttfb), true),
  ];
  for (const c of providerCases) {
    const r = results[c.key];
    if (c.kind === 'ttfb') rows.push(...latencyRows(c.name, r.direct.map((s) => s.ttfb), r.proxy.map((s) => s.ttfb), true));
    if (c.kind === 'ws') {
      rows.push(...latencyRows(`${c.name} first event`, r.direct.map((s) => s.ttfb), r.proxy.map((s) => s.ttfb), true));
      rows.push(...latencyRows(`${c.name} terminal event`, r.direct.map((s) => s.total), r.proxy.map((s) => s.total), false));
    }
  }
  rows.push(throughputRow(`stream ${config.streamMb} MB, 20 big events`, big.direct.map(mbps), big.proxy.map(mbps)));
  if (many) {
    const eventsMb = (many.direct[0].bytes / (1024 * 1024)).toFixed(1);
    rows.push(throughputRow(`stream ${eventsMb} MB, ~${config.toolCalls * 3} small events`, many.direct.map(mbps), many.proxy.map(mbps)));
  }
  for (const c of providerCases) {
    if (c.kind !== 'stream') continue;
    const r = results[c.key];
    c.mb = r.direct[0].bytes / (1024 * 1024);
    const count = eventCount(r.firstBody, c.ws);
    const label = `${c.name} ${c.mb.toFixed(1)} MB, ${count} ${c.ws ? 'messages' : count === 1 ? 'event' : 'events'}`;
    rows.push(throughputRow(label, r.direct.map(mbps), r.proxy.map(mbps)));
  }

  const cpus = os.cpus();
  const out = [];
  out.push('');
  out.push(`capped proxy overhead — Node ${process.version}, ${os.platform()}/${os.arch()}, ${cpus.length} CPU(s) (${os.availableParallelism()} available), ${cpus[0]?.model ?? 'unknown CPU'}`);
  out.push(
    `proxy: ${
      { child: 'capped, own process', inprocess: 'capped, in the measuring process', bare: 'BASELINE: bare Node pass-through (not capped), own process' }[
        config.proxyMode
      ]
    }; upstream: own process; ` +
      `sequential keep-alive requests, direct and proxied interleaved; request body ${config.bodyKb} KB`,
  );
  out.push(
    `samples per path: JSON ${config.jsonN}, SSE ${config.sseN}, large streams ${config.streamN}` +
      `${many ? `, small-event streams ${config.eventsN}` : ''}` +
      `${providerCases.length > 0 ? `; per other provider: small streams ${config.sseN}, large streams ${config.providerStreamN}` : ''}` +
      `${sockets ? `, WebSocket responses ${config.wsN}` : ''} (after warm-up)`,
  );
  if (providerCases.length > 0) {
    out.push(
      `rows without a provider name are Anthropic Messages; OpenAI is ${OPENAI_MODEL} (Chat with the include_usage capped injects), ` +
        `Gemini is ${GEMINI_MODEL} streamGenerateContent?alt=sse, "Responses WS" is one WebSocket per path`,
    );
  }
  out.push('');
  out.push(table(rows));
  out.push('');
  const loadAtEnd = os.loadavg()[0];
  // The benchmark itself keeps up to ~2 cores busy; more than that means something else ran too.
  if (Math.max(loadAtStart, loadAtEnd - 2) > 0.5) {
    out.push(
      `note: 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end: other work ` +
        `(or a run just before this one) used the CPU, so absolute figures are noisy; the interleaving keeps the comparison fair.`,
    );
  }
  if (cpus.length < 3) {
    out.push(
      `note: ${cpus.length} CPU(s) for 3 processes: during streams the client, proxy and fake upstream compete for cores ` +
        `(the real upstream is remote), so the throughput ratios here are pessimistic; see the proxy CPU line.`,
    );
  }
  if (config.proxyMode !== 'inprocess') {
    const per = (key, n) => (proxyCpu[key] * 1000) / n;
    const parts = [
      `JSON ${per('json', config.warmup + config.jsonN).toFixed(0)} µs/request`,
      `SSE ${per('sse', sseWarm + config.sseN).toFixed(0)} µs/stream`,
    ];
    const msPerMb = proxyCpu.big / ((config.streamN + 2) * config.streamMb);
    parts.push(`large streams ${msPerMb.toFixed(2)} ms/MB (a ceiling of ~${(1000 / msPerMb).toFixed(0)} MB/s on one core)`);
    if (many) {
      const mb = (many.direct[0].bytes / (1024 * 1024)) * (config.eventsN + 1);
      const msPerMbEvents = proxyCpu.many / mb;
      parts.push(`small-event streams ${msPerMbEvents.toFixed(2)} ms/MB (~${(1000 / msPerMbEvents).toFixed(0)} MB/s)`);
    }
    out.push(`proxy CPU time (user+system, incl. warm-up): ${parts.join(', ')}`);
    if (providerCases.length > 0) {
      const more = providerCases.map((c) => {
        if (c.kind !== 'stream') return `${c.name.replace(/ TTFB$/, '')} ${per(c.key, c.warm + c.n).toFixed(0)} µs/${c.ws ? 'response' : 'stream'}`;
        const ms = proxyCpu[c.key] / ((c.warm + c.n) * c.mb);
        return `${c.name} ${ms.toFixed(2)} ms/MB (~${(1000 / ms).toFixed(0)} MB/s)`;
      });
      out.push(`proxy CPU time, other providers: ${more.join(', ')}`);
    }
    out.push(`proxy RSS at the end ${(final.rss / 1048576).toFixed(0)} MB`);
  }
  const total = proxied.anthropic + proxied.openai + proxied.gemini;
  // The bare baseline does not read WebSocket frames, so it cannot count those responses.
  const expectSettled = config.proxyMode === 'bare' ? total - proxiedWs : total;
  if (final.settled !== expectSettled) problems.push(`the proxy settled ${final.settled} of ${expectSettled} requests`);
  if (final.estimated > 0) problems.push(`${final.estimated} proxied requests were metered as estimates, not exact counts`);
  if (final.refused > 0 || final.upstreamErrors > 0) problems.push(`${final.refused} refused / ${final.upstreamErrors} upstream errors at the proxy`);
  if (final.reserved > 0 || final.inFlight > 0) problems.push(`${final.reserved} reservations / ${final.inFlight} requests still open at the proxy`);
  if (sockets && billed.wsCreates !== proxiedWs) problems.push(`the fake OpenAI got ${billed.wsCreates} of ${proxiedWs} response.create messages sent through the proxy`);
  if (config.proxyMode === 'bare') {
    out.push(`baseline: ${final.settled}/${expectSettled} HTTP requests passed through, nothing metered`);
  } else {
    const by = Object.entries(proxied)
      .filter(([, n]) => n > 0)
      .map(([provider, n]) => `${provider} ${final.byProvider[provider]?.settled ?? 0}/${n}`);
    out.push(`meter check: ${final.settled}/${expectSettled} proxied requests settled (${by.join(', ')}), $${(final.costNano / 1e9).toFixed(2)} metered`);
    for (const [provider, n] of Object.entries(proxied)) {
      const settled = final.byProvider[provider]?.settled ?? 0;
      if (settled !== n) problems.push(`${provider}: the proxy settled ${settled} of ${n} requests`);
    }
    // The fakes bill with their own price tables; capped meters with genai-prices: they must agree.
    const bills = [];
    for (const [provider, name, usd] of [['openai', 'OpenAI', billed.openaiUsd], ['gemini', 'Gemini', billed.geminiUsd]]) {
      if (proxied[provider] === 0) continue;
      const metered = (final.byProvider[provider]?.costNano ?? 0) / 1e9;
      bills.push(`${name} billed $${usd.toFixed(4)}, metered $${metered.toFixed(4)}`);
      if (Math.abs(metered - usd) > Math.max(1e-6, usd * 0.001)) problems.push(`${name}: capped metered $${metered.toFixed(6)} where the fake upstream billed $${usd.toFixed(6)}`);
    }
    if (bills.length > 0) out.push(`bill check (fake upstreams' own prices, proxied path): ${bills.join('; ')}`);
  }
  for (const p of problems) out.push(`WARNING: ${p}`);
  out.push(`total run time ${elapsed.toFixed(1)} s`);
  console.log(out.join('\n'));

  directAgent.destroy();
  proxyAgent.destroy();
  if (closeInProcess) await closeInProcess();
  await Promise.all(children.map((c) => c.stop()));
  clearTimeout(deadline);
  return 0;
}

let code = 1;
try {
  config = loadConfig();
  code = await main();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`bench: ${err.message}`);
    code = 2;
  } else {
    console.error(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  for (const c of children) c.kill();
}
// A benchmark, not a test: a missed target still exits 0; only a broken run exits non-zero.
// Exit explicitly (a stray keep-alive socket must not hold the process), once stdout is flushed.
process.stdout.write('', () => process.exit(code));
