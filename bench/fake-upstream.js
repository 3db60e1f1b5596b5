// Child process for bench/proxy-overhead.js: runs the fake upstreams from the test fixtures on
// loopback, in a process of their own, so the upstream never shares an event loop with the proxy
// or the measuring client (in real use the provider is a different machine altogether).
//
// Usage: node bench/fake-upstream.js '{"toolCalls": 10000, "openaiBigBytes": N, "geminiBigBytes": N, "twins": ["direct", ...]}'
// Prints one JSON line of URLs on stdout, then answers each line on stdin with one JSON line of
// what each twin billed (by twin name), until stdin closes.
//
// Anthropic (test/fixtures/fake-anthropic.mjs), one instance per shape; direct and proxied
// requests share it (the benchmark masks its per-request `msg_N` id):
//  - plain:  no tool calls; output size follows the request's max_tokens (text: ~3 bytes a token,
//            a stream has at most 20 content deltas, so a big max_tokens gives a few big events;
//            a request whose metadata.user_id is `deltas-N` gets N tokens a delta instead, the
//            many small events of a real long answer).
//  - events: the same, plus `toolCalls` tool_use blocks (3 small SSE events each) in every
//            response, which gives a stream of many small events, the shape real agents see.
//
// OpenAI (test/fixtures/fake-openai.mjs: Chat Completions, Responses over SSE and over WebSocket)
// and Gemini (test/fixtures/fake-gemini.mjs: streamGenerateContent?alt=sse): twin instances, one
// for the direct path and one behind each proxy measured (`twins`). The fixtures are deterministic, so twins sent the
// same requests in the same order answer byte for byte the same, and every proxied body can be
// compared exactly with its direct twin (the proxy's injected include_usage included: the proxy
// must take back out what it asked for). Each runs a one-call tool loop, which gives both shapes
// from one instance:
//  - a request that already carries the answer to a tool call gets a small text answer (the
//    TTFB shape: Chat ~13 events, Responses ~18, Gemini 3);
//  - a request that does not gets a tool call whose command (OpenAI) or arguments (Gemini) are
//    `*BigBytes` long: the big-stream shape. OpenAI repeats the command in the text deltas, the
//    `.done` events and `response.completed` (Responses: ~9 copies in ~20 events; Chat: 2 copies
//    in 13 events); Gemini sends a function call in one event, as it does for a big file write.
import readline from 'node:readline';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic.mjs';
import { startFakeGemini } from '../test/fixtures/fake-gemini.mjs';
import { startFakeOpenAI } from '../test/fixtures/fake-openai.mjs';
import { SOURCE_TEXT } from './source-text.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const toolCalls = Number(options.toolCalls ?? 10_000);

// The client decides how much is generated, through max_tokens (the fixture caps output by it).
const outputTokens = (body) => Number(body.max_tokens) || 1;
// A request whose metadata.user_id is `deltas-N` is answered N tokens a delta, as real answers stream.
const deltaTokens = (body) => Number(/^deltas-(\d+)$/.exec(body.metadata?.user_id ?? '')?.[1]) || undefined;
/** bench/source-text.js's code; `abc` text (options.text: 'abc') has nothing to escape, as earlier benches had. */
const SOURCE = SOURCE_TEXT.repeat(80_000); // about 17 MB: more than the longest answer and the biggest tool call the bench asks for

/** `bytes` bytes of SOURCE (a tool call's command or file content). */
const codeText = (bytes) => SOURCE.slice(0, Math.max(1, Math.floor(bytes)));
const answerText = options.text === 'abc' ? undefined : (chars, from) => SOURCE.slice(from % 1024, (from % 1024) + chars);
const plain = await startFakeAnthropic({ outputTokens, deltaTokens, text: answerText });
const events = await startFakeAnthropic({ outputTokens, toolCalls, text: answerText });

const openaiOptions = { toolLoop: true, toolCalls: 1, toolCommand: codeText(options.openaiBigBytes ?? 450_000) };
const geminiOptions = {
  toolLoop: 1,
  toolCall: { name: 'write_file', args: { file_path: 'src/report.ts', content: codeText(options.geminiBigBytes ?? 4 * 1024 * 1024) } },
};
/** One OpenAI and one Gemini twin per path the bench measures (direct, each proxy). */
const twins = options.twins ?? ['direct', 'proxy'];
const openai = {};
const gemini = {};
for (const name of twins) {
  openai[name] = await startFakeOpenAI(openaiOptions);
  gemini[name] = await startFakeGemini(geminiOptions);
}

// The fixtures keep every request they saw (for tests' assertions); a benchmark sends thousands,
// so drop them now and then to keep the upstream's heap (and its GC pauses) from growing with the
// run. Only what no answer depends on: the Gemini fake numbers its responses by `requests.length`.
setInterval(() => {
  for (const fake of [plain, events]) {
    fake.bill.received.length = 0;
    fake.bill.requests.length = 0;
  }
  for (const fake of Object.values(openai)) {
    fake.bill.received.length = 0;
    fake.bill.requests.length = 0;
    fake.bill.wsMessages.length = 0;
  }
  for (const fake of Object.values(gemini)) fake.bill.received.length = 0;
}, 500).unref();

const urls = (fakes) => Object.fromEntries(Object.entries(fakes).map(([name, fake]) => [name, fake.url]));
process.stdout.write(`${JSON.stringify({ plain: plain.url, events: events.url, openai: urls(openai), gemini: urls(gemini) })}\n`);

// What the fakes billed for the proxied path, in their own price tables (not genai-prices).
const input = readline.createInterface({ input: process.stdin });
input.on('line', () => {
  const bills = {};
  for (const name of twins) {
    bills[name] = {
      openaiUsd: openai[name].billedUsd(),
      geminiUsd: gemini[name].billedUsd(),
      wsUpgrades: openai[name].bill.wsAccepted,
      wsCreates: openai[name].bill.wsCreates,
    };
  }
  process.stdout.write(`${JSON.stringify(bills)}\n`);
});
// Exit when the parent closes our stdin (or dies): no orphaned servers.
input.on('close', () => {
  void Promise.all([plain, events, ...Object.values(openai), ...Object.values(gemini)].map((f) => f.close())).then(() => process.exit(0));
});
