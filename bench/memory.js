// Memory of a real `capped run` (ledger, journal and reporter on): a fake agent sends streaming
// requests through capped's proxy, BENCH_CONCURRENCY (32) at a time, BENCH_REQUESTS (10,000) in
// all, to a fake Anthropic upstream on loopback, and samples capped's RSS from /proc as it goes;
// then sends nothing for BENCH_IDLE_S (20) seconds and samples it each second: what a burst leaves.
//
// Usage: node bench/memory.js [--before path/to/other/bin/capped.js]
// With --before, the other build runs the same workload first, in the same run, for a before/after.
// BENCH_TERMINAL=1 runs `capped run` in a pseudo-terminal, as a user at a shell does: the agent in
// capped's own PTY and the budget bar painted as requests settle (otherwise its output is a pipe,
// and capped prints a line per request, as in CI).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic.mjs';
import { agentLine } from './agent-line.js';
import { buildsToCompare } from './builds.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AGENT = path.join(ROOT, 'bench/memory-agent.js');
const requests = Number(process.env.BENCH_REQUESTS ?? 10_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
// Then this long with no request, as when an agent waits on its model or its user.
const idleSeconds = Number(process.env.BENCH_IDLE_S ?? 20);
const terminal = process.env.BENCH_TERMINAL === '1';
const TARGET_STREAMS_MB = 90;
// "Flat over the requests": RSS may grow this much from a quarter of the way (the warm-up done:
// compiled code, the ledger's page cache filled) to the last request.
const FLAT_MB = 3;

/** One `capped run` of the workload; resolves with what the agent measured. */
async function measure(bin) {
  const upstream = await startFakeAnthropic({ chunkDelayMs: 1 });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-bench-mem-'));
  try {
    const r = await agentLine(
      bin,
      ['--max-usd', '1000'],
      AGENT,
      home,
      {
        ANTHROPIC_BASE_URL: upstream.url,
        BENCH_REQUESTS: String(requests),
        BENCH_CONCURRENCY: String(concurrency),
        BENCH_IDLE_S: String(idleSeconds),
      },
      terminal,
    );
    return { ...r, billed: upstream.bill.requests.length };
  } finally {
    await upstream.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

const mb = (n) => n.toFixed(1).padStart(7);
const builds = buildsToCompare('memory.js', process.argv.slice(2));
console.log(
  `capped run memory${terminal ? ' (in a terminal)' : ''}: ${requests} streaming requests, ${concurrency} at a time, fake Anthropic on loopback; node ${process.version}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log('build   | RSS at start | peak, first 32 streams | RSS first sample | last sample | max sample | peak RSS (whole run) | req/s | capped CPU µs/req');
for (const build of builds) {
  const r = await measure(build.bin);
  if (r.billed !== r.requests) throw new Error(`the upstream billed ${r.billed} requests, the agent sent ${r.requests}`);
  const rss = r.samples.map((s) => s.rss);
  const grew = rss.at(-1) - rss[Math.floor(rss.length / 4)];
  const verdict =
    build.name === 'after'
      ? `  (targets: 32 streams <= ${TARGET_STREAMS_MB} MB: ${r.end.peak <= TARGET_STREAMS_MB ? 'PASS' : 'FAIL'}; flat, ${grew >= 0 ? '+' : ''}${grew.toFixed(1)} MB <= ${FLAT_MB} MB from a quarter of the way to the end: ${grew <= FLAT_MB ? 'PASS' : 'FAIL'})`
      : '';
  console.log(
    `${build.name.padEnd(7)} | ${mb(r.start.rss)} MB   | ${mb(r.firstWave.peak)} MB             | ${mb(rss[0])} MB       | ${mb(rss.at(-1))} MB  | ${mb(Math.max(...rss))} MB | ${mb(r.end.peak)} MB           | ${(r.requests / r.seconds).toFixed(0)}   | ${((r.cpu * 1000) / r.requests).toFixed(0)}${verdict}`,
  );
  console.log(`        RSS by requests done: ${r.samples.map((s) => `${s.done}:${s.rss.toFixed(0)}`).join(' ')}`);
  if (r.idle.length > 0) console.log(`        RSS each second after the last request: ${r.idle.map((rss) => rss.toFixed(0)).join(' ')} (MB)`);
}
