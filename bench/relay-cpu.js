// What capped's stream relay costs by itself: answers fed in 64 KB reads through EventRelay (the
// framer, the meter's byte paths, the output bound, the writes to the agent) with in-memory ends,
// no sockets. proxy-overhead.js measures a real `capped run` against a direct connection, where
// the client, capped and the upstream share the machine's cores and the kernel's copies count;
// this bench shows the share that is capped's own code, per stream and per MB, and is steadier.
// Each stream's metered characters are checked against its text. Run `npm run build` first.
//
// Usage: node bench/relay-cpu.js [--before path/to/other/bin/capped.js]
//   BENCH_RELAY_ROUNDS=200   rounds (each stream shape once per build per round, builds interleaved)
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildsToCompare } from './builds.js';
import { pairedChange, pairedText, roundOrder } from './paired.js';
import { SOURCE_TEXT as SOURCE } from './source-text.js';

const rounds = Number(process.env.BENCH_RELAY_ROUNDS ?? 200);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench/relay-cpu.js: BENCH_RELAY_ROUNDS must be a whole number >= 1, got "${process.env.BENCH_RELAY_ROUNDS}"`);
  process.exit(2);
}

/** The upstream's response: the events a relay listens to, nothing else. */
class Upstream extends EventEmitter {
  statusCode = 200;
  headers = { 'content-type': 'text/event-stream' };
  complete = false;
  pause() {
    return this;
  }
  resume() {
    return this;
  }
}

/** The agent's response: counts what it is given. */
class Response extends EventEmitter {
  writableEnded = false;
  destroyed = false;
  writableNeedDrain = false;
  bytes = 0;
  cork() {}
  uncork() {}
  writeHead() {
    return this;
  }
  write(data) {
    this.bytes += data.length;
    return true;
  }
  end() {
    this.writableEnded = true;
  }
  destroy() {
    this.destroyed = true;
  }
}

/** A budget with room for anything: every decision the relay asks for is the cheapest. */
const hooks = {
  allowToolCall: () => ({ allowed: true }),
  holdBodies: false,
  inputKnown: () => null,
  allowance: () => Number.MAX_SAFE_INTEGER,
  sentCeiling: null,
  outputTokens: (chars) => Math.ceil(chars / 4),
  now: () => 0,
  extend: () => ({ allowedOut: Number.MAX_SAFE_INTEGER, short: null }),
  cut: () => 'cut',
  yieldRoom: () => 'yield',
};

const sse = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** An Anthropic answer of `total` characters of source code in deltas of `delta` characters. */
function answer(delta, total) {
  const text = SOURCE.repeat(Math.ceil((total + SOURCE.length) / SOURCE.length));
  const events = [
    sse('message_start', {
      message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 10, output_tokens: 1 } },
    }),
    sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ];
  for (let at = 0; at < total; at += delta) {
    const from = at % SOURCE.length;
    events.push(sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: text.slice(from, from + Math.min(delta, total - at)) } }));
  }
  events.push(
    sse('content_block_stop', { index: 0 }),
    sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } }),
    sse('message_stop', {}),
  );
  return Buffer.from(events.join(''));
}

const SHAPES = [
  { key: '1 MB in 50 KB deltas', raw: answer(50_000, 1_000_000), chars: 1_000_000 },
  { key: '1 MB in 30-character deltas', raw: answer(30, 1_000_000), chars: 1_000_000 },
  { key: '10 MB in 500 KB deltas', raw: answer(500_000, 10_000_000), chars: 10_000_000 },
];
const READ = 64 * 1024;

/** This build's relay and provider, from its dist/. */
async function load(bin) {
  const dist = path.join(path.dirname(bin), '..', 'dist', 'proxy');
  const url = (file) => pathToFileURL(path.join(dist, file)).href;
  const [{ EventRelay }, { anthropic }] = await Promise.all([import(url('event-relay.js')), import(url('providers/anthropic.js'))]);
  return { EventRelay, anthropic };
}

/** Relays one answer; ms it took, after checking what was metered and written. */
async function relayOnce({ EventRelay, anthropic }, shape) {
  const upstream = new Upstream();
  const res = new Response();
  const started = process.hrtime.bigint();
  const done = new EventRelay({
    provider: anthropic,
    meter: anthropic.createMeter({ injectedUsage: false }),
    upstream,
    res,
    hooks,
    allowedOut: Number.MAX_SAFE_INTEGER,
    clientGone: () => false,
  }).run();
  for (let at = 0; at < shape.raw.length; at += READ) upstream.emit('data', shape.raw.subarray(at, at + READ));
  upstream.complete = true;
  upstream.emit('end');
  const outcome = await done;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (outcome.reading.outputChars !== shape.chars || res.bytes !== shape.raw.length) {
    throw new Error(`${shape.key}: metered ${outcome.reading.outputChars} characters of ${shape.chars}, wrote ${res.bytes} bytes of ${shape.raw.length}`);
  }
  return ms;
}

const builds = await Promise.all(buildsToCompare('relay-cpu.js', process.argv.slice(2)).map(async (b) => ({ ...b, relay: await load(b.bin) })));
const times = new Map(builds.map((b) => [b.name, new Map(SHAPES.map((s) => [s.key, []]))]));
for (let round = -10; round < rounds; round++) {
  for (const build of roundOrder(builds, round)) {
    for (const shape of SHAPES) {
      const ms = await relayOnce(build.relay, shape);
      if (round >= 0) times.get(build.name).get(shape.key).push({ ms });
    }
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`capped's stream relay alone (in memory, 64 KB reads, answers in source code), median of ${rounds} rounds; node ${process.version}`);
console.log('| answer | build | ms a stream | ms a MB |');
console.log('| --- | --- | --- | --- |');
for (const shape of SHAPES) {
  for (const build of builds) {
    const ms = median(
      times
        .get(build.name)
        .get(shape.key)
        .map((t) => t.ms),
    );
    console.log(`| ${shape.key} | ${build.name} | ${ms.toFixed(3)} | ${(ms / (shape.raw.length / 1e6)).toFixed(3)} |`);
  }
}
if (builds.length === 2) {
  const changes = SHAPES.map(
    (s) =>
      `${s.key} ${pairedText(
        pairedChange(times.get('after').get(s.key), times.get('before').get(s.key), (t) => t.ms, 'ratio'),
        'ratio',
      )}`,
  );
  console.log(`after against before, round by round (median ratio of ms [95 % interval]): ${changes.join('; ')}`);
}
