// The first request of a run: how long an agent's first request takes through a real
// `capped run` (ledger, journal and reporter on), beside a direct request from the same agent and
// its second request through capped. A benchmark's warm-up rounds hide this cost; every session
// pays it once. BENCH_RUNS (10) runs per build, the builds taking turns, against a fake Anthropic
// upstream on loopback (a JSON answer). The agent (bench/first-request-agent.js) first waits
// BENCH_AGENT_WAIT_MS (1000), as an agent starting up does.
//
// Usage: node bench/first-request.js [--before path/to/other/bin/capped.js]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic.mjs';
import { agentLine } from './agent-line.js';
import { buildsToCompare } from './builds.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AGENT = path.join(ROOT, 'bench/first-request-agent.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const WAIT_MS = Number(process.env.BENCH_AGENT_WAIT_MS ?? 1000);

/** One `capped run` of the agent; resolves with its timings. */
function once(bin, upstream, home) {
  return agentLine(bin, ['--max-usd', '5'], AGENT, home, {
    ANTHROPIC_BASE_URL: upstream.url,
    BENCH_DIRECT_URL: upstream.url,
    BENCH_AGENT_WAIT_MS: String(WAIT_MS),
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

const builds = buildsToCompare('first-request.js', process.argv.slice(2));
const upstream = await startFakeAnthropic();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-bench-first-'));
try {
  const results = builds.map(() => []);
  // One unmeasured run each first: it writes the build's compiled-code cache, as any earlier run would have.
  for (let round = -1; round < RUNS; round++) {
    for (let k = 0; k < builds.length; k++) {
      const i = (k + Math.max(0, round)) % builds.length;
      const home = path.join(scratch, builds[i].name);
      fs.mkdirSync(home, { recursive: true });
      const r = await once(builds[i].bin, upstream, home);
      if (round >= 0) results[i].push(r);
    }
  }
  console.log(
    `first request of a run (JSON, Anthropic fake on loopback; the agent waits ${WAIT_MS} ms first): median of ${RUNS} runs, node ${process.version}`,
  );
  console.log('build   | direct (ms) | first via capped | added  | second via capped | added');
  builds.forEach((build, i) => {
    const d = median(results[i].map((r) => r.direct));
    const first = median(results[i].map((r) => r.first));
    const second = median(results[i].map((r) => r.second));
    const cell = (x) => x.toFixed(2).padStart(7);
    const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`.padStart(6);
    console.log(
      `${build.name.padEnd(7)} | ${cell(d)}     | ${cell(first)}          | ${signed(first - d)} | ${cell(second)}           | ${signed(second - d)}`,
    );
  });
} finally {
  await upstream.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}
