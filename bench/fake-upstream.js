// Child process for bench/proxy-overhead.js: runs the fake Anthropic upstream from the test
// fixtures on loopback, in a process of its own, so the upstream never shares an event loop with
// the proxy or the measuring client (in real use the provider is a different machine altogether).
//
// Usage: node bench/fake-upstream.js [toolCalls]
// Prints one JSON line {"plain": url, "events": url} on stdout, then serves until stdin closes.
//  - plain:  no tool calls; output size follows the request's max_tokens (text: ~3 bytes a token,
//            a stream has at most 20 content deltas, so a big max_tokens gives a few big events).
//  - events: the same, plus `toolCalls` tool_use blocks (3 small SSE events each) in every
//            response, which gives a stream of many small events, the shape real agents see.
import readline from 'node:readline';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic.mjs';

const toolCalls = Number(process.argv[2] ?? 10_000);
// The client decides how much is generated, through max_tokens (the fixture caps output by it).
const outputTokens = (body) => Number(body.max_tokens) || 1;

const plain = await startFakeAnthropic({ outputTokens });
const events = await startFakeAnthropic({ outputTokens, toolCalls });

// The fixture keeps every request it saw (for tests' assertions); a benchmark sends thousands, so
// drop them now and then to keep the upstream's heap (and its GC pauses) from growing with the run.
setInterval(() => {
  for (const fake of [plain, events]) {
    fake.bill.received.length = 0;
    fake.bill.requests.length = 0;
  }
}, 500).unref();

process.stdout.write(`${JSON.stringify({ plain: plain.url, events: events.url })}\n`);

// Exit when the parent closes our stdin (or dies): no orphaned servers.
const input = readline.createInterface({ input: process.stdin });
input.on('close', () => {
  void Promise.all([plain.close(), events.close()]).then(() => process.exit(0));
});
