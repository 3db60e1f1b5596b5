// What pricing a request before it is sent costs (issue 9's target: at most 50 µs for a 1 MB
// body): the conversation match (shared prefix and suffix with the run's recent requests), the
// cache hints and the input prediction, for a Claude Code-like body that continues the previous
// turn. JSON parsing is not included: the proxy parses every body whatever the estimate does.
//
// Usage (after `npm run build`): node bench/estimate-cost.js [--mb 1] [--iterations 2000]
import { parseArgs } from 'node:util';
import { ConversationMemory } from '../dist/proxy/conversations.js';
import { InputEstimator } from '../dist/proxy/input-estimator.js';
import { predictInput } from '../dist/proxy/input-prediction.js';
import { anthropic } from '../dist/proxy/providers/anthropic.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '1' }, iterations: { type: 'string', default: '2000' } } });
const targetBytes = Number(values.mb) * 1024 * 1024;
const iterations = Number(values.iterations);

/** A growing conversation: messages first (as Claude Code sends them), then system and tools. */
function body(turns) {
  const messages = [];
  for (let i = 0; i < turns; i++) {
    const last = i === turns - 1;
    messages.push({
      role: i % 2 ? 'assistant' : 'user',
      content: [{ type: 'text', text: `turn ${i} ${'lorem ipsum dolor '.repeat(220)}`, ...(last ? { cache_control: { type: 'ephemeral', ttl: '1h' } } : {}) }],
    });
  }
  return {
    model: 'claude-sonnet-4-5',
    messages,
    system: [{ type: 'text', text: 'You are Claude Code. '.repeat(2000), cache_control: { type: 'ephemeral', ttl: '1h' } }],
    tools: Array.from({ length: 30 }, (_, i) => ({ name: `Tool${i}`, description: 'does things '.repeat(300), input_schema: { type: 'object' } })),
    max_tokens: 32000,
    stream: true,
  };
}

let turns = 10;
while (Buffer.byteLength(JSON.stringify(body(turns))) < targetBytes) turns += 10;
const prev = body(turns);
const next = body(turns + 2);
const prevRaw = Buffer.from(JSON.stringify(prev));
const nextRaw = Buffer.from(JSON.stringify(next));
const estimator = new InputEstimator();
estimator.observe(prevRaw.length, Math.round(prevRaw.length / 4));
const memory = new ConversationMemory();
// A few other conversations of the run, as with subagents: each is compared and parts early.
for (let k = 0; k < 4; k++) {
  const other = Buffer.from(JSON.stringify({ ...body(12), messages: [{ role: 'user', content: `other ${k}` }] }));
  const s = { key: 'k', body: other, at: Date.now(), hints: anthropic.cacheHints(prev), billed: null, output: 0, responseId: null, cacheBasis: 0 };
  memory.sent(s);
  memory.settled(s, { input: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 1000 }, 10, null);
}
const seen = { key: 'k', body: prevRaw, at: Date.now(), hints: anthropic.cacheHints(prev), billed: null, output: 0, responseId: null, cacheBasis: 0 };
memory.sent(seen);
memory.settled(seen, { input: 0, cacheRead: 200_000, cacheWrite5m: 0, cacheWrite1h: 2000 }, 400, null);

function once() {
  const hints = anthropic.cacheHints(next);
  const continuation = memory.match('k', nextRaw, hints.continues);
  return predictInput({
    rules: anthropic.cache,
    model: 'claude-sonnet-4-5',
    hints,
    body: nextRaw,
    continuation,
    estimator,
    now: Date.now(),
    cacheEfficiency: null,
    hiddenMarkers: anthropic.hiddenMarkers,
  });
}

for (let i = 0; i < 200; i++) once();
const started = process.hrtime.bigint();
let check = 0;
for (let i = 0; i < iterations; i++) check += once().total;
const us = Number(process.hrtime.bigint() - started) / 1000 / iterations;
const p = once();
process.stdout.write(
  `estimate cost: ${us.toFixed(1)} µs per request for a ${(nextRaw.length / 1024 / 1024).toFixed(2)} MB body ` +
    `(${turns + 2} messages; ${nextRaw.length - (memory.match('k', nextRaw, null)?.sharedBytes ?? 0)} new bytes; ` +
    `predicted ${p.total} tokens, ${p.likely.cacheRead} read) — target ≤ 50 µs: ${us <= 50 ? 'PASS' : 'FAIL'}\n`,
);
if (check === 0) process.exitCode = 1;
if (process.env.ESTIMATE_PARTS) {
  const time = (name, fn) => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    process.stdout.write(`  ${name}: ${(Number(process.hrtime.bigint() - t) / 1000 / iterations).toFixed(1)} µs\n`);
  };
  const hints = anthropic.cacheHints(next);
  time('cache hints', () => anthropic.cacheHints(next));
  time('match', () => memory.match('k', nextRaw, null));
  const c = memory.match('k', nextRaw, null);
  time('predict', () =>
    predictInput({
      rules: anthropic.cache,
      model: 'claude-sonnet-4-5',
      hints,
      body: nextRaw,
      continuation: c,
      estimator,
      now: Date.now(),
      cacheEfficiency: null,
      hiddenMarkers: anthropic.hiddenMarkers,
    }),
  );
}
