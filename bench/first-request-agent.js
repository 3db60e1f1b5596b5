// Fake agent for bench/first-request.js, started by `capped run`: waits BENCH_AGENT_WAIT_MS (an
// agent starting up: Claude Code sends its first request 1.1–1.3 s after it starts, here), then
// times requests, one after another, on one kept-alive connection each: one straight to the
// upstream (BENCH_DIRECT_URL; it warms this process's own HTTP client), the first through capped
// (ANTHROPIC_BASE_URL), one more straight to the upstream, and a second through capped.
// Prints one JSON line: { direct, first, second } in ms (direct: the later direct request).
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const wait = Number(process.env.BENCH_AGENT_WAIT_MS ?? 1000);
const body = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 256,
  messages: [{ role: 'user', content: 'Say hello. '.repeat(400) }],
});

function post(base, agent) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(`${base.replace(/\/$/, '')}/v1/messages`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-bench', 'anthropic-version': '2023-06-01' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

await new Promise((resolve) => setTimeout(resolve, wait));
const direct = new http.Agent({ keepAlive: true });
const capped = new http.Agent({ keepAlive: true });
await post(process.env.BENCH_DIRECT_URL, direct);
const first = await post(process.env.ANTHROPIC_BASE_URL, capped);
const again = await post(process.env.BENCH_DIRECT_URL, direct);
const second = await post(process.env.ANTHROPIC_BASE_URL, capped);
direct.destroy();
capped.destroy();
process.stdout.write(`${JSON.stringify({ direct: again, first, second })}\n`);
