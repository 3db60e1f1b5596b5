// Proxy overhead benchmark: what `capped run` adds to an agent's requests, measured in one run
// against a direct connection to the same loopback fake upstream and against Portkey's gateway.
//
//   npm run bench                                   (builds dist/ first)
//   node bench/proxy-overhead.js                    (uses the dist/ that is there)
//   node bench/proxy-overhead.js --capped /work/baseline/bin/capped.js   (adds a BEFORE build)
//
// The paths measured, side by side, every request interleaved across them (the order is shuffled
// each round, so drift, GC and other load hit all alike):
//  - direct:  the client straight to the fake upstream;
//  - capped run: the REAL `capped run --max-usd 100000 --escalation allow --record FILE -- node bench/run-agent.js`
//    of this checkout's bin/capped.js: its ledger (SQLite in a temporary CAPPED_HOME), journal,
//    line reporter (stderr is a pipe, so a line per request, as in CI) and record are on. The fake
//    agent only prints the addresses capped gave it; this process is the client;
//  - `--capped PATH` (optional): the same with another build's bin/capped.js (before/after from
//    one run);
//  - Portkey: @portkey-ai/gateway (devDependency) on loopback (bench/portkey-gateway.js), its
//    x-portkey-custom-host pointed at the fake upstream. It has no Responses WebSocket: n/a there;
//  - `capped run` in a terminal (BENCH_TERMINAL=1): the same run started in a pseudo-terminal, as
//    a user at a shell starts it, so capped runs the agent in its own PTY, passes its output
//    through and paints the budget bar after each request instead of printing a line. There the
//    fake agent redraws a screen of its own BENCH_AGENT_FPS times a second, as an agent's
//    terminal UI does while it works, and capped passes each frame through and repaints its bar;
//  - bench wiring (diagnostic): bench/proxy-server.js, createProxy wired as run.ts wires it but
//    without journal, ledger, reporter or record (what `npm run bench` measured before).
// Every process is its own: client (this), each proxy, the fake upstreams (bench/fake-upstream.js,
// the test fixtures; OpenAI and Gemini have one deterministic twin per path so bodies compare
// byte for byte). "added" is the path's percentile minus the direct percentile. Every body that
// went through capped is checked (after the clock stops) to be the direct one, and each capped
// run's record must count every request sent through it.
//
// On a 2-core machine client, proxy and upstream compete for the CPU during streams (the real
// upstream is remote), so throughput ratios are pessimistic; the load average is printed.
//
// Environment (all optional):
//   BENCH_N=1000           JSON requests per path
//   BENCH_SSE_N=500        small Anthropic streams per path (first byte)
//   BENCH_PROVIDER_N=300   small streams per path for OpenAI Chat, OpenAI Responses, Gemini
//   BENCH_WS_N=300         response.create messages per WebSocket
//   BENCH_STREAM_N=30      1 MB streams per path (each shape);  BENCH_BIG_STREAM_N=16: 10 MB streams per path
//   BENCH_WARMUP=100       warm-up rounds (streams: 2)
//   BENCH_BODY_KB=8        request body size (the prompt)
//   BENCH_TOOL_CALLS=30    tool calls (Bash tool_use + tool_result) in each Anthropic request's history
//   BENCH_PROVIDERS=chat,responses,gemini,ws   which provider rows beside Anthropic ("none")
//   BENCH_PORTKEY=1        0 leaves Portkey out;  BENCH_WIRING=1: 0 leaves the bench wiring out
//   BENCH_BARE=0           1 adds two floors: a bare Node HTTP pass-through (bench/proxy-server.js
//                          bare) and a raw TCP pipe (tcp; Anthropic Messages rows only)
//   BENCH_TERMINAL=0       1 adds the `capped run` in a terminal path (this build's, see above)
//   BENCH_AGENT_FPS=30     screens a second the fake agent draws in a terminal (0: none); about 5 KB each
//   BENCH_PROXY_NODE_ARGS  Node flags for each capped process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
//   BENCH_TIMEOUT_S=300    abort (exit 1) if the whole run takes longer than this
//   BENCH_RESULT_FILE      also write the rows' figures there as JSON (bench/verdicts.js reads it)
//   BENCH_UPSTREAM_IDLE=0  1 runs the fake upstream at SCHED_IDLE (chrt, Linux): it gets a core only
//                          when client and proxies leave one, as a remote upstream takes none here
//   BENCH_TEXT=code        the text of Anthropic answers: source code, which JSON escapes in places
//                          (as real answers); abc: text with nothing to escape (the benches before)
//   BENCH_GAP_MS=0         pause after each request: an agent sends its next request after its
//                          tools ran, not at once; 0 sends back to back, so each path is measured
//                          while the path before it (another process) still finishes its request
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './markdown-table.js';
import { pairedChange, pairedText, roundOrder } from './paired.js';
import { runAtIdle } from './sched-idle.js';
import { meets, rowTarget, targetText } from './targets.js';
import { nodeInTerminal } from './terminal.js';
import { connectWebSocket } from './ws-client.js';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

class ConfigError extends Error {}

function envInt(name, fallback, min = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${name} must be a number >= ${min}, got "${raw}"`);
  return Math.floor(n);
}

const PROVIDER_PATHS = ['chat', 'responses', 'gemini', 'ws'];

function providerList(raw) {
  if (raw === undefined || raw.trim() === '') return [...PROVIDER_PATHS];
  if (raw.trim() === 'none') return [];
  const list = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = list.filter((p) => !PROVIDER_PATHS.includes(p));
  if (unknown.length > 0) throw new ConfigError(`BENCH_PROVIDERS takes a comma list of ${PROVIDER_PATHS.join(', ')} (or "none"), got "${raw}"`);
  return PROVIDER_PATHS.filter((p) => list.includes(p));
}

/** `--capped PATH` (another build's bin/capped.js, the BEFORE column); nothing else is taken. */
function cliArgs(argv) {
  const others = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--capped' && argv[i + 1]) others.push(path.resolve(argv[++i]));
    else throw new ConfigError(`unknown argument "${argv[i]}"; the only option is --capped PATH/TO/bin/capped.js`);
  }
  for (const bin of others) if (!existsSync(bin)) throw new ConfigError(`--capped ${bin}: no such file (give another build's bin/capped.js)`);
  return others;
}

/** BENCH_ROWS: the row keys to run (json, sse, chat, …, mb10), or null for all. */
function rowList(raw) {
  if (raw === undefined || raw.trim() === '') return null;
  return raw
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
}

/** A 0/1 setting (unset: 0). */
function envSwitch(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(`${name} takes 0 or 1, got "${raw}"`);
}

function answerText(raw) {
  if (raw === undefined || raw === '' || raw === 'code') return 'code';
  if (raw === 'abc') return 'abc';
  throw new ConfigError(`BENCH_TEXT takes code or abc, got "${raw}"`);
}

function loadConfig() {
  return {
    jsonN: envInt('BENCH_N', 1000, 1),
    sseN: envInt('BENCH_SSE_N', 500, 1),
    providerN: envInt('BENCH_PROVIDER_N', 300, 1),
    wsN: envInt('BENCH_WS_N', 300, 1),
    streamN: envInt('BENCH_STREAM_N', 30, 1),
    bigStreamN: envInt('BENCH_BIG_STREAM_N', 16, 0),
    bodyKb: envInt('BENCH_BODY_KB', 8, 0),
    toolCalls: envInt('BENCH_TOOL_CALLS', 30, 0),
    warmup: envInt('BENCH_WARMUP', 100, 0),
    providers: providerList(process.env.BENCH_PROVIDERS),
    portkey: process.env.BENCH_PORTKEY !== '0',
    wiring: process.env.BENCH_WIRING !== '0',
    bare: process.env.BENCH_BARE === '1',
    terminal: process.env.BENCH_TERMINAL === '1',
    agentFps: envInt('BENCH_AGENT_FPS', 30),
    proxyNodeArgs: (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    timeoutS: envInt('BENCH_TIMEOUT_S', 300, 1),
    gapMs: envInt('BENCH_GAP_MS', 0, 0),
    text: answerText(process.env.BENCH_TEXT),
    resultFile: process.env.BENCH_RESULT_FILE || null,
    upstreamIdle: envSwitch('BENCH_UPSTREAM_IDLE'),
    rows: rowList(process.env.BENCH_ROWS),
    others: cliArgs(process.argv.slice(2)),
  };
}

let config;

// The models the agents run by default (Claude Code, Gemini CLI): tiered prices, the price book's heavier path.
const MODEL = 'claude-sonnet-4-5';
const OPENAI_MODEL = 'gpt-4.1-mini';
const GEMINI_MODEL = 'gemini-2.5-pro';
const GEMINI_STREAM = `models/${GEMINI_MODEL}:streamGenerateContent?alt=sse`;
/** Credentials as each provider's clients send them (fakes only; nothing leaves loopback). */
const HEADERS = {
  anthropic: { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-bench-not-a-real-key' },
  openai: { authorization: 'Bearer sk-bench-not-a-real-key' },
  gemini: { 'x-goog-api-key': 'bench-not-a-real-key' },
};

// ---------------------------------------------------------------------------------------------
// Child processes: each prints one JSON line when ready (then answers stdin lines, if it does).

const children = [];
/** Temporary CAPPED_HOMEs of the capped runs, removed however the run ends. */
const homes = [];

/**
 * The JSON lines a child prints, in order: `push` each as it comes, `next()` gives the oldest
 * (waiting for one); once `exited(text)`, what is still awaited fails with that text.
 */
function jsonLines() {
  const buffered = [];
  const waiting = [];
  let exited = null;
  return {
    push(line) {
      const w = waiting.shift();
      if (w) w.resolve(JSON.parse(line));
      else buffered.push(line);
    },
    exited(text) {
      exited = text;
      for (const w of waiting.splice(0)) w.reject(new Error(text));
    },
    get done() {
      return exited !== null;
    },
    next() {
      if (buffered.length > 0) return Promise.resolve(JSON.parse(buffered.shift()));
      if (exited) return Promise.reject(new Error(exited));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

/**
 * The handle of a started child: `end()` asks it to exit (it writes any --cpu-prof profile on
 * the way), `kill()` kills it; `exitedPromise` settles when it has exited.
 */
function childHandle(pid, lines, exitedPromise, end, kill) {
  const handle = {
    pid,
    next: () => lines.next(),
    /** Asks the child to exit; kills it if slow. */
    stop: async (graceMs = 3000) => {
      if (lines.done) return;
      end();
      const timer = setTimeout(kill, graceMs);
      await exitedPromise;
      clearTimeout(timer);
    },
    kill: () => {
      if (!lines.done) kill();
    },
  };
  children.push(handle);
  return handle;
}

/** Starts `node [nodeArgs] script args`; `options.env`, `options.cwd`; its stderr is kept (last 4 KB) for errors. */
function spawnNodeChild(script, args, nodeArgs = [], options = {}) {
  const file = path.isAbsolute(script) ? script : here(script);
  const child = spawn(process.execPath, [...nodeArgs, file, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d.toString()).slice(-4096)));
  const lines = jsonLines();
  readline.createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  const exitedPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      lines.exited(`${path.basename(file)} exited (${code ?? signal})${stderr ? `: ${stderr.trim().slice(-600)}` : ''}`);
      resolve(code);
    });
  });
  // Its stdin closes: every child here exits then.
  return childHandle(
    child.pid,
    lines,
    exitedPromise,
    () => child.stdin.end(),
    () => child.kill('SIGKILL'),
  );
}

/**
 * `spawnNodeChild` in a pseudo-terminal (bench/terminal.js), as a user's shell starts it; it is
 * asked to exit by a typed Ctrl-D, which ends the input of a program reading the terminal.
 */
function spawnTerminalChild(script, args, nodeArgs = [], options = {}) {
  const lines = jsonLines();
  let resolveExit;
  const exitedPromise = new Promise((resolve) => (resolveExit = resolve));
  const term = nodeInTerminal([...nodeArgs, script, ...args], { cwd: options.cwd, env: options.env ?? process.env }, lines.push, (code, signal, text) => {
    lines.exited(`${path.basename(script)} in a terminal exited (${signal || code})${text ? `: ${text.slice(-600)}` : ''}`);
    resolveExit(code);
  });
  return childHandle(
    term.pid,
    lines,
    exitedPromise,
    () => term.write('\x04'),
    () => term.kill('SIGKILL'),
  );
}

/** User+system CPU time of a process, in ms (Linux /proc; null elsewhere). */
function cpuOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The client.

/** The prompt: BENCH_BODY_KB of text. */
function promptText() {
  const prompt = 'Summarise the repository layout and list the next steps. '.repeat(Math.max(1, Math.ceil((config.bodyKb * 1024) / 58)));
  return prompt.slice(0, Math.max(1, Math.round(config.bodyKb * 1024)));
}

/**
 * A Claude Code-shaped history: Bash calls that read files, run the build and fail now and then,
 * each with its result. The proxy reads every request's whole history (the runaway guards), as
 * it does for a real agent; the history ends with the user's turn, so the request is a new one.
 */
function toolHistory() {
  const turns = [];
  // Ids as Claude Code's are (`toolu_01` and 22 letters and digits): the guards know such an id
  // names one call, and read a call they have seen once no further (short ids are read each time).
  const idOf = (i) => `toolu_01${createHash('sha256').update(`call ${i}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 22)}`;
  for (let i = 0; i < config.toolCalls; i++) {
    const command = i % 5 === 4 ? 'npm run build' : `cat src/module${i}.ts && grep -n "export" src/index.ts`;
    const output = i % 5 === 4 && i % 2 === 0 ? 'src/a.ts(3,1): error TS2304: Cannot find name foo.\nExit code 2' : `${'line of source\n'.repeat(20)}`;
    turns.push(
      { role: 'assistant', content: [{ type: 'tool_use', id: idOf(i), name: 'Bash', input: { command } }] },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: idOf(i), content: output, ...(output.includes('Exit code 2') ? { is_error: true } : {}) }],
      },
    );
  }
  turns.push({ role: 'assistant', content: 'Done.' }, { role: 'user', content: `${NEXT_TURN}.` });
  return turns;
}

// Each round's request ends in a turn of its own, as an agent's next request adds to the history
// it resends: the proxy must read the new end each time, not a body it has seen whole (capped
// parses again only what changed since the last body, issue 11).
const NEXT_TURN = 'Next step, please';
const TOOL_OUTPUT = String.raw`README.md\nsrc\n`; // the last tool result, as the body's JSON holds it

/** The bodies of a case's rounds: `body` with its last `marker` naming the round. */
function eachTurn(body, marker) {
  const text = body.toString();
  const at = text.lastIndexOf(marker);
  if (at === -1) throw new Error(`bench: no "${marker}" in a request body to end each round's turn with`);
  const head = text.slice(0, at + marker.length);
  const tail = text.slice(at + marker.length);
  return (round) => Buffer.from(`${head} (turn ${round})${tail}`);
}

/** An Anthropic request; `deltaTokens` asks the fake for that many tokens a delta (see fake-upstream.js). */
function messagesBody(maxTokens, stream, deltaTokens) {
  return Buffer.from(
    JSON.stringify({
      model: MODEL,
      max_tokens: maxTokens,
      stream,
      ...(deltaTokens ? { metadata: { user_id: `deltas-${deltaTokens}` } } : {}),
      system: 'You are a coding agent.',
      messages: [{ role: 'user', content: promptText() }, ...toolHistory()],
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
    req.on('error', (err) => {
      // A kept-alive socket the server closed while idle (its keep-alive timeout passed during a
      // slow round): Node's documented remedy is to send again on a fresh socket.
      if (req.reusedSocket && err.code === 'ECONNRESET') resolve(post(agent, url, body, headers));
      else reject(err);
    });
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
const normalised = (chunks) =>
  Buffer.concat(chunks)
    .toString('latin1')
    .replace(/msg_\d+/g, 'msg_N');
/** Anthropic: one fake serves both paths, so only the message id may differ. */
const sameAnthropic = (a, b) => normalised(a) === normalised(b);
/** OpenAI and Gemini over HTTP: twin fakes, so the bodies must be identical (however the bytes were chunked). */
const sameBytes = (a, b) => Buffer.concat(a).equals(Buffer.concat(b));
/** WebSocket: the same messages, each identical. */
const sameMessages = (a, b) => a.length === b.length && a.every((m, i) => m.equals(b[i]));

// ---------------------------------------------------------------------------------------------
// The paths.

/** Each path's request URLs, and the headers it adds to a provider's own. */
function urlsOf(anthropicBase, openaiBase, geminiBase) {
  return {
    messages: `${anthropicBase}/v1/messages`,
    chat: `${openaiBase}/chat/completions`,
    responses: `${openaiBase}/responses`,
    gemini: `${geminiBase}/v1beta/${GEMINI_STREAM}`,
    ws: `${openaiBase}/responses`,
  };
}

function side(name, label, urls, extra = {}) {
  return {
    name,
    label,
    urls,
    headers: { anthropic: {}, openai: {}, gemini: {} },
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    checked: true,
    ...extra,
  };
}

/** The real `capped run` of `bin`, with the fake agent; its upstreams are the fakes (its own twins). */
async function cappedRun(name, label, bin, up, terminal = false) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'capped-bench-'));
  homes.push(home);
  const record = path.join(home, 'record.json');
  const env = {
    ...process.env,
    CAPPED_HOME: home,
    ANTHROPIC_BASE_URL: up.plain,
    OPENAI_BASE_URL: `${up.openai[name]}/v1`,
    GOOGLE_GEMINI_BASE_URL: up.gemini[name],
    // Only in a terminal: with pipes its stdout is the bench's line of addresses.
    ...(terminal ? { BENCH_AGENT_FPS: String(config.agentFps) } : {}),
  };
  const args = ['run', '--max-usd', '100000', '--escalation', 'allow', '--record', record, '--', process.execPath, here('run-agent.js')];
  const child = (terminal ? spawnTerminalChild : spawnNodeChild)(bin, args, config.proxyNodeArgs, { env, cwd: home });
  const a = await child.next();
  return side(name, label, urlsOf(a.anthropic, a.openai, a.gemini), {
    pid: child.pid,
    /** Ends the run (the agent exits when stdin closes) and reads its record. */
    finish: async () => {
      await child.stop(15_000);
      const rec = existsSync(record) ? JSON.parse(readFileSync(record, 'utf8')) : null;
      rmSync(home, { recursive: true, force: true });
      return rec;
    },
  });
}

async function portkey(up) {
  const child = spawnNodeChild('portkey-gateway.js', []);
  const { origin } = await child.next();
  const s = side(
    'portkey',
    'Portkey gateway',
    {
      messages: `${origin}/v1/messages`,
      chat: `${origin}/v1/chat/completions`,
      responses: `${origin}/v1/responses`,
      gemini: `${origin}/v1/${GEMINI_STREAM}`,
      ws: null,
    },
    { pid: child.pid, checked: false },
  );
  s.headers = {
    anthropic: { 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': `${up.plain}/v1` },
    openai: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${up.openai.portkey}/v1` },
    gemini: { 'x-portkey-provider': 'google', 'x-portkey-custom-host': `${up.gemini.portkey}/v1beta` },
  };
  return s;
}

async function benchWiring(up, name = 'wiring', label = 'bench wiring (diagnostic)') {
  const spec = {
    env: { ANTHROPIC_BASE_URL: up.plain, OPENAI_BASE_URL: `${up.openai[name]}/v1`, OPENAI_HOST: up.openai[name], GOOGLE_GEMINI_BASE_URL: up.gemini[name] },
  };
  const mode = name === 'bare' ? 'bare' : 'capped';
  const child = spawnNodeChild('proxy-server.js', [JSON.stringify(spec), mode], mode === 'bare' ? [] : config.proxyNodeArgs);
  const { origin } = await child.next();
  const s = side(name, label, urlsOf(`${origin}/anthropic`, `${origin}/openai`, `${origin}/gemini`), { pid: child.pid });
  // The bare pass-through only forwards: its bodies are the upstream's own, nothing to check.
  if (mode === 'bare') s.checked = false;
  return s;
}

/** The raw TCP pipe (bench/proxy-server.js tcp): Anthropic Messages rows only, unchecked. */
async function tcpPipe(up) {
  const child = spawnNodeChild('proxy-server.js', [JSON.stringify({ env: { ANTHROPIC_BASE_URL: up.plain } }), 'tcp']);
  const { origin } = await child.next();
  const base = new URL(up.plain);
  const urls = { messages: `${origin}${base.pathname.replace(/\/+$/, '')}/v1/messages`, chat: null, responses: null, gemini: null, ws: null };
  return side('tcp', 'raw TCP pipe (floor)', urls, { pid: child.pid, checked: false });
}

// ---------------------------------------------------------------------------------------------
// Measuring.

const problems = [];

/** One request of case `c` down path `s`: a sample { status, ttfb, total, bytes, chunks }. */
function sendOn(s, c, body) {
  if (c.ws) return wsExchange(s.socket, body);
  return post(s.agent, s.urls[c.route], body, { ...HEADERS[c.provider], ...s.headers[c.provider] });
}

/**
 * Runs case `c` on every path in `sides`, interleaved (in a shuffled order each round), `c.warm`
 * unmeasured rounds first. Returns each path's samples; checks every status and every checked
 * path's body against the direct one.
 */
async function measureCase(c, sides) {
  const samples = Object.fromEntries(sides.map((s) => [s.name, []]));
  const mismatches = Object.fromEntries(sides.map((s) => [s.name, 0]));
  for (let i = -c.warm; i < c.n; i++) {
    const order = roundOrder(sides, i);
    const got = {};
    const body = c.bodyAt ? c.bodyAt(i) : c.body;
    for (const s of order) {
      got[s.name] = await sendOn(s, c, body).catch((err) => {
        throw new Error(`${c.name}: ${s.label}: ${err.message}`);
      });
      if (config.gapMs > 0) await new Promise((resolve) => setTimeout(resolve, config.gapMs));
    }
    for (const s of order) {
      const { status } = got[s.name];
      if (status !== 200)
        throw new Error(
          `${c.name}: ${s.label} answered ${
            typeof status === 'number'
              ? `HTTP ${status}: ${Buffer.concat(got[s.name].chunks ?? [])
                  .toString()
                  .slice(0, 300)}`
              : status
          }`,
        );
      if (s.checked && s.name !== 'direct' && !c.same(got.direct.chunks, got[s.name].chunks)) mismatches[s.name]++;
    }
    for (const s of order) {
      const { ttfb, total, bytes } = got[s.name];
      if (i >= 0) samples[s.name].push({ ttfb, total, bytes });
    }
  }
  for (const [name, n] of Object.entries(mismatches)) if (n > 0) problems.push(`${c.name}: ${n} bodies through ${name} differed from the direct ones`);
  return samples;
}

// Statistics and the table.

/** Nearest-rank percentile of unsorted numbers. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}
const median = (values) => percentile(values, 50);
const ms = (x) => x.toFixed(3);
const signedMs = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** A sample's throughput in MB/s. */
const mbps = (s) => s.bytes / (1024 * 1024) / (s.total / 1000);

/** A cell: p50 and p99 added over direct (latency), or the median throughput as % of direct. */
function cell(c, direct, samples) {
  if (!samples) return { text: 'n/a' };
  if (c.metric === 'throughput') {
    const ratio = median(samples.map(mbps)) / median(direct.map(mbps));
    return { text: `${(ratio * 100).toFixed(1)} %`, ratio };
  }
  const value = (s) => s[c.metric];
  const p50 = percentile(samples.map(value), 50) - percentile(direct.map(value), 50);
  const p99 = percentile(samples.map(value), 99) - percentile(direct.map(value), 99);
  return { text: `${signedMs(p50)} / ${signedMs(p99)}`, p50, p99 };
}

/** Whether capped's cell meets the issue's target for this row, and beats Portkey's. */
function verdict(c, mine, theirs) {
  const target = rowTarget(c);
  if (target === null) return '';
  const parts = [meets(target, mine) ? 'PASS' : 'FAIL'];
  if (theirs?.text && theirs.text !== 'n/a') {
    const faster = c.metric === 'throughput' ? mine.ratio > theirs.ratio : mine.p50 < theirs.p50;
    parts.push(faster ? 'beats Portkey' : 'SLOWER than Portkey');
  }
  return parts.join(', ');
}

/** Each path's figures of a row, for BENCH_RESULT_FILE: `{ p50, p99 }` ms added, or `{ ratio }` of direct's throughput. */
function pathCells(cells) {
  const out = {};
  for (const [name, c] of Object.entries(cells)) {
    if (c.ratio !== undefined) out[name] = { ratio: c.ratio };
    else if (c.p50 !== undefined) out[name] = { p50: c.p50, p99: c.p99 };
  }
  return out;
}

/** What capped adds over the bare hop on row `c`: ms at p50, or its throughput as % of the hop's. */
function overBareText(c, mine, bare) {
  if (!mine || !bare || mine.text === 'n/a' || bare.text === 'n/a') return null;
  if (c.metric === 'throughput') return `${c.key} ${((mine.ratio / bare.ratio) * 100).toFixed(0)} % of its throughput`;
  return `${c.key} ${signedMs(mine.p50 - bare.p50)} ms p50`;
}

// ---------------------------------------------------------------------------------------------

function casesOf() {
  const MB = 1024 * 1024;
  const sameHttp = sameBytes;
  const cases = [
    {
      key: 'json',
      name: 'JSON request (Anthropic), total',
      provider: 'anthropic',
      route: 'messages',
      metric: 'total',
      n: config.jsonN,
      bodyAt: eachTurn(messagesBody(200, false), NEXT_TURN),
      same: sameAnthropic,
    },
    {
      key: 'sse',
      name: 'stream first byte (Anthropic)',
      provider: 'anthropic',
      route: 'messages',
      metric: 'ttfb',
      n: config.sseN,
      bodyAt: eachTurn(messagesBody(200, true), NEXT_TURN),
      same: sameAnthropic,
    },
  ];
  if (config.providers.includes('chat'))
    cases.push({
      key: 'chat',
      name: 'OpenAI Chat stream first byte',
      provider: 'openai',
      route: 'chat',
      metric: 'ttfb',
      n: config.providerN,
      bodyAt: eachTurn(chatBody(true), TOOL_OUTPUT),
      same: sameHttp,
    });
  if (config.providers.includes('responses')) {
    const body = Buffer.from(JSON.stringify({ ...responsesRequest(true), stream: true }));
    cases.push({
      key: 'responses',
      name: 'OpenAI Responses stream first byte',
      provider: 'openai',
      route: 'responses',
      metric: 'ttfb',
      n: config.providerN,
      bodyAt: eachTurn(body, TOOL_OUTPUT),
      same: sameHttp,
    });
  }
  if (config.providers.includes('gemini'))
    cases.push({
      key: 'gemini',
      name: 'Gemini stream first byte',
      provider: 'gemini',
      route: 'gemini',
      metric: 'ttfb',
      n: config.providerN,
      bodyAt: eachTurn(geminiBody(true), TOOL_OUTPUT),
      same: sameHttp,
    });
  if (config.providers.includes('ws')) {
    const frame = eachTurn(Buffer.from(JSON.stringify({ type: 'response.create', ...responsesRequest(true) })), TOOL_OUTPUT);
    const bodyAt = (round) => frame(round).toString();
    cases.push({ key: 'ws', name: 'Responses WebSocket first event', provider: 'openai', ws: true, bodyAt, metric: 'ttfb', n: config.wsN, same: sameMessages });
    // The same exchanges to their terminal event, which the agent acts on (Codex runs its tools
    // at response.completed). No target of its own.
    cases.push({ key: 'wsall', name: 'Responses WebSocket whole response', provider: 'openai', ws: true, metric: 'total', from: 'ws' });
  }
  // max_tokens sets an Anthropic stream's size: ~3 bytes a token, in at most 20 content deltas.
  cases.push({
    key: 'mb1',
    name: 'stream 1 MB (Anthropic), throughput',
    provider: 'anthropic',
    route: 'messages',
    metric: 'throughput',
    n: config.streamN,
    big: true,
    body: messagesBody(Math.ceil(MB / 3), true),
    same: sameAnthropic,
  });
  // The same megabyte as a real long answer streams it: a few tokens a delta, ~35,000 small events.
  cases.push({
    key: 'mb1d',
    name: 'stream 1 MB in 10-token deltas (Anthropic), throughput',
    provider: 'anthropic',
    route: 'messages',
    metric: 'throughput',
    n: config.streamN,
    big: true,
    body: messagesBody(Math.ceil(MB / 3), true, 10),
    same: sameAnthropic,
  });
  if (config.bigStreamN > 0) {
    cases.push({
      key: 'mb10',
      name: 'stream 10 MB (Anthropic), throughput',
      provider: 'anthropic',
      route: 'messages',
      metric: 'throughput',
      n: config.bigStreamN,
      big: true,
      body: messagesBody(Math.ceil((10 * MB) / 3), true),
      same: sameAnthropic,
    });
  }
  for (const c of cases) c.warm = c.big ? 2 : c.ws ? Math.ceil(config.warmup / 2) : config.warmup;
  return config.rows === null ? cases : chosenRows(cases, config.rows);
}

/** The cases BENCH_ROWS names, in the table's order; a row measured from another's rounds brings that row along. */
function chosenRows(cases, rows) {
  const keys = cases.map((c) => c.key);
  const unknown = rows.filter((r) => !keys.includes(r));
  if (unknown.length > 0) throw new ConfigError(`BENCH_ROWS: no row ${unknown.join(', ')} in this run; its rows are ${keys.join(', ')}`);
  const wanted = new Set(rows);
  for (const c of cases) if (c.from && wanted.has(c.key)) wanted.add(c.from);
  return cases.filter((c) => wanted.has(c.key));
}

async function main() {
  if (!existsSync(here('../dist/cli/main.js'))) {
    console.error('bench: dist/ is missing; run `npm run build` first (or use `npm run bench`).');
    return 1;
  }
  const started = performance.now();
  const loadAtStart = os.loadavg();
  const deadline = setTimeout(() => {
    console.error(`bench: aborted after ${config.timeoutS} s (BENCH_TIMEOUT_S); something is stuck or the machine is very slow.`);
    for (const c of children) c.kill();
    process.exit(1);
  }, config.timeoutS * 1000);
  deadline.unref();
  const say = (text) => process.stderr.write(`bench: ${text}\n`);

  const others = config.others.map((bin, i) => ({ name: i === 0 ? 'before' : `other${i}`, bin }));
  const twins = [
    'direct',
    'capped',
    ...others.map((o) => o.name),
    ...(config.terminal ? ['terminal', ...others.map((o) => `${o.name}-terminal`)] : []),
    ...(config.portkey ? ['portkey'] : []),
    ...(config.wiring ? ['wiring'] : []),
    ...(config.bare ? ['bare'] : []),
  ];
  const upstream = spawnNodeChild('fake-upstream.js', [JSON.stringify({ toolCalls: 1, openaiBigBytes: 2000, geminiBigBytes: 2000, twins, text: config.text })]);
  if (config.upstreamIdle) {
    try {
      runAtIdle(upstream.pid);
    } catch (err) {
      throw new ConfigError(err.message);
    }
  }
  const up = await upstream.next();
  const direct = side('direct', 'direct', urlsOf(up.plain, `${up.openai.direct}/v1`, up.gemini.direct));
  const sides = [direct, await cappedRun('capped', 'capped run (this build)', here('../bin/capped.js'), up)];
  for (const o of others) sides.push(await cappedRun(o.name, `capped run (${o.bin})`, o.bin, up));
  if (config.terminal) {
    sides.push(await cappedRun('terminal', 'capped run in a terminal (this build)', here('../bin/capped.js'), up, true));
    for (const o of others) sides.push(await cappedRun(`${o.name}-terminal`, `capped run in a terminal (${o.bin})`, o.bin, up, true));
  }
  if (config.portkey) sides.push(await portkey(up));
  if (config.wiring) sides.push(await benchWiring(up));
  if (config.bare) sides.push(await benchWiring(up, 'bare', 'bare Node hop (floor)'), await tcpPipe(up));
  const wsSides = [];
  if (config.providers.includes('ws')) {
    for (const s of sides) {
      if (!s.urls.ws) continue;
      s.socket = await connectWebSocket(s.urls.ws, HEADERS.openai);
      wsSides.push(s);
    }
  }

  const cases = casesOf();
  const results = {};
  const sent = Object.fromEntries(sides.map((s) => [s.name, 0]));
  const cpu = Object.fromEntries(sides.map((s) => [s.name, {}]));
  for (const c of cases) {
    if (c.from) {
      results[c.key] = results[c.from]; // another measure of rounds already run
      continue;
    }
    const on = c.ws ? wsSides : sides.filter((s) => s.urls[c.route]);
    say(`${c.name}: ${c.warm} warm-up + ${c.n} measured rounds over ${on.length} paths...`);
    const before = Object.fromEntries(on.map((s) => [s.name, cpuOf(s.pid)]));
    results[c.key] = await measureCase(c, on);
    for (const s of on) {
      sent[s.name] += c.warm + c.n;
      const after = cpuOf(s.pid);
      if (after !== null && before[s.name] !== null) cpu[s.name][c.key] = (after - before[s.name]) / (c.warm + c.n);
    }
  }
  for (const s of wsSides) if (s.name !== 'direct') s.socket.close();
  direct.socket?.close();

  // ------------------------------------------------------------------- the runs' own accounts
  const notes = [];
  for (const s of sides) {
    if (!s.finish) continue;
    const rec = await s.finish();
    if (!rec) problems.push(`${s.label} wrote no --record`);
    else {
      notes.push(
        `${s.label}: record counts ${rec.spent.requests}/${sent[s.name]} requests, $${rec.spent.usd.toFixed(2)} metered${rec.estimated ? ' (some estimated)' : ''}`,
      );
      if (rec.spent.requests !== sent[s.name])
        problems.push(`${s.label}: its record counts ${rec.spent.requests} requests of the ${sent[s.name]} sent through it`);
    }
  }
  const elapsed = (performance.now() - started) / 1000;

  // ------------------------------------------------------------------- report
  const shown = sides.filter((s) => s.name !== 'direct');
  const header = ['row (added ms p50 / p99, or % of direct)', 'direct p50 / p99', ...shown.map((s) => s.label), 'target (capped run, this build)', 'verdict'];
  const rendered = cases.map((c) => {
    const r = results[c.key];
    const d = r.direct;
    const dText =
      c.metric === 'throughput'
        ? `${median(d.map(mbps)).toFixed(0)} MB/s`
        : `${ms(
            percentile(
              d.map((s) => s[c.metric]),
              50,
            ),
          )} / ${ms(
            percentile(
              d.map((s) => s[c.metric]),
              99,
            ),
          )}`;
    const cells = Object.fromEntries(shown.map((s) => [s.name, cell(c, d, r[s.name])]));
    return {
      row: [c.name, dText, ...shown.map((s) => cells[s.name].text), targetText(rowTarget(c)), verdict(c, cells.capped, cells.portkey)],
      result: { key: c.key, name: c.name, metric: c.metric, target: rowTarget(c), paths: pathCells(cells) },
      // capped's own cost, beyond what any Node HTTP hop costs (only with BENCH_BARE=1).
      overBare: overBareText(c, cells.capped, cells.bare),
    };
  });
  const rows = rendered.map((x) => x.row);
  const cpus = os.cpus();
  const out = [''];
  out.push(`capped run overhead — Node ${process.version}, ${os.platform()}/${os.arch()}, ${cpus.length} CPU(s), ${cpus[0]?.model ?? 'unknown CPU'}`);
  out.push(
    `load average (1/5/15 min) ${loadAtStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at the end`,
  );
  out.push(
    `sequential keep-alive requests (one connection per path), all paths interleaved${config.gapMs > 0 ? `, ${config.gapMs} ms apart` : ''}${config.upstreamIdle ? '; the fake upstream at SCHED_IDLE (BENCH_UPSTREAM_IDLE=1)' : ''}; Anthropic answers in ${config.text === 'code' ? 'source code' : '`abc` text'}; request body ${config.bodyKb} KB of prompt and ${config.toolCalls} tool calls of history (Anthropic); rows without a provider are Anthropic Messages`,
  );
  out.push('');
  out.push(markdownTable(header, rows));
  out.push('');
  const perRequest = shown
    .filter((s) => Object.keys(cpu[s.name]).length > 0)
    .map(
      (s) =>
        `${s.label}: ${cases
          .filter((c) => cpu[s.name][c.key] !== undefined)
          .map((c) => `${c.key} ${(cpu[s.name][c.key] * 1000).toFixed(0)}`)
          .join(', ')}`,
    );
  out.push(`CPU µs per request of each proxy process (incl. warm-up; 10 ms clock ticks): ${perRequest.join('; ')}`);
  // The same rounds, build against build: what this build changed, with a 95 % interval.
  const pairs = others.length === 0 ? [] : [['capped', others[0].name, '']];
  if (others.length > 0 && config.terminal) pairs.push(['terminal', `${others[0].name}-terminal`, ', in a terminal']);
  for (const [now, before, where] of pairs) {
    const changes = cases.map((c) => {
      const kind = c.metric === 'throughput' ? 'ratio' : 'difference';
      const measure = c.metric === 'throughput' ? mbps : (s) => s[c.metric];
      const r = results[c.key];
      return r[before] ? `${c.key} ${pairedText(pairedChange(r[now], r[before], measure, kind), kind)}` : null;
    });
    out.push(
      `this build against ${others[0].name}${where}, round by round (median of per-round ms differences or throughput ratios [95 % interval]): ${changes
        .filter((t) => t !== null)
        .join(', ')}`,
    );
  }
  if (config.bare)
    out.push(
      `capped run (this build) over the bare Node hop: ${rendered
        .map((x) => x.overBare)
        .filter((t) => t !== null)
        .join(', ')}`,
    );
  out.push(...notes);
  for (const p of problems) out.push(`WARNING: ${p}`);
  out.push(`total run time ${elapsed.toFixed(1)} s`);
  console.log(out.join('\n'));
  if (config.resultFile) {
    const labels = Object.fromEntries(shown.map((s) => [s.name, s.label]));
    const result = { node: process.version, cpus: cpus.length, load: [loadAtStart, os.loadavg()], labels, problems, rows: rendered.map((x) => x.result) };
    writeFileSync(config.resultFile, `${JSON.stringify(result, null, 2)}\n`);
  }

  for (const s of sides) s.agent.destroy();
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
for (const home of homes) rmSync(home, { recursive: true, force: true });
// A benchmark, not a test: a missed target still exits 0; only a broken run exits non-zero.
// Exit explicitly (a stray keep-alive socket must not hold the process), once stdout is flushed.
process.stdout.write('', () => process.exit(code));
