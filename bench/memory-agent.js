// Fake agent for bench/memory.js, started by `capped run`: sends BENCH_REQUESTS streaming
// Anthropic requests through capped's proxy (ANTHROPIC_BASE_URL), BENCH_CONCURRENCY at a time,
// and samples capped's memory (its parent process) from /proc as it goes. Prints one JSON line.
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const total = Number(process.env.BENCH_REQUESTS ?? 10_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const idleSeconds = Number(process.env.BENCH_IDLE_S ?? 0);
const samplesWanted = 20;
const base = new URL(process.env.ANTHROPIC_BASE_URL ?? '');
const capped = process.ppid;

if (!fs.readFileSync(`/proc/${capped}/cmdline`, 'utf8').includes('capped')) {
  throw new Error(`memory-agent.js: parent ${capped} is not capped; run it under \`capped run\``);
}

/** capped's resident and peak resident memory, in MiB. */
function memory() {
  const status = fs.readFileSync(`/proc/${capped}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** capped's CPU time so far (user + system), in ms: /proc's stat counts clock ticks of 10 ms. */
function cpuMs() {
  const fields = fs.readFileSync(`/proc/${capped}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Say hello.' }] });

function request() {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base.href.replace(/\/$/, '')}/v1/messages`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': 'sk-bench', 'anthropic-version': '2023-06-01' } },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const start = memory();
const cpuAtStart = cpuMs();
const samples = [];
let sent = 0;
let done = 0;
let firstWave = null;
const every = Math.max(1, Math.floor(total / samplesWanted));
const startedAt = performance.now();

async function worker() {
  while (sent < total) {
    sent++;
    await request();
    done++;
    // The first `concurrency` requests are all in flight together: memory with that many streams.
    if (done === Math.min(concurrency, total)) firstWave = memory();
    if (done % every === 0) samples.push({ done, ...memory() });
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - startedAt) / 1000;
const cpu = cpuMs() - cpuAtStart;
agent.destroy();
const end = memory();
// Then nothing, as when an agent waits on its model or its user: what capped's memory comes back to.
const idle = [];
for (let s = 1; s <= idleSeconds; s++) {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  idle.push(memory().rss);
}
console.log(JSON.stringify({ requests: done, seconds, cpu, start, firstWave, samples, end, idle }));
