// How long the ledger's WAL checkpoint holds the event loop: the real SQLite driver and ledger
// (dist/ledger, real schema, synchronous=NORMAL) in a temporary directory, BENCH_REQUESTS (5,000)
// requests written as `capped run` writes them (the reservation, then the settled row: two
// commits each), back to back, so the driver checkpoints every CHECKPOINT_MAX_COMMITS commits.
// Timed on the event loop: each call of the driver's sync callback (a checkpoint, or a short step
// to one more sync round), and the event loop's delay (perf_hooks, 1 ms resolution) over the run:
//  - "WAL synced first": the driver as it is, its WAL fsynced on libuv's thread pool beforehand;
//  - "WAL unsynced": the same driver told its WAL is synced at once (what it did before), so the
//    checkpoint's own fsync of the WAL runs on the event loop.
//
// Usage: node bench/checkpoint.js   (uses the dist/ that is there; `npm run build` first)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const dist = new URL('../dist/ledger/', import.meta.url);
const { CHECKPOINT_MAX_COMMITS, openSqliteDriver, syncFileOffLoop } = await import(new URL('sqlite-ledger.js', dist).href);
const { SqlLedger } = await import(new URL('sql-ledger.js', dist).href);
const requests = Number(process.env.BENCH_REQUESTS ?? 5000);

/** Checkpoint times (ms) and the wall time of `requests` requests, with the WAL sync `sync`. */
async function measure(sync) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-bench-ckpt-'));
  const checkpoints = [];
  // The driver checkpoints inside `done`: timing it times the checkpoint on the event loop.
  const timed = (file, done) =>
    sync(file, () => {
      const t = performance.now();
      done();
      checkpoints.push(performance.now() - t);
    });
  const file = path.join(dir, 'ledger.db');
  const driver = openSqliteDriver(file, timed);
  try {
    await driver.migrate();
    const ledger = new SqlLedger(driver, { backend: 'sqlite', location: file, liveness: { host: 'bench', isAlive: () => true }, now: () => new Date() });
    const runId = 'bench-run';
    await ledger.startRun({
      id: runId,
      command: ['agent'],
      cwd: dir,
      repo: '',
      host: 'bench',
      pid: 1,
      startedAt: new Date().toISOString(),
      budget: {},
      policy: {},
    });
    const row = (i, reserved) => ({
      runId,
      key: `r${i}`,
      at: new Date().toISOString(),
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      phase: 'implementation',
      tokens: { input: 3000, output: reserved ? 8192 : 400, cacheRead: 20000, cacheWrite: 1000 },
      costNano: 12_345_678,
      estimated: reserved,
      retry: false,
      reserved,
    });
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    for (let i = 0; i < requests; i++) {
      await ledger.recordRequest(row(i, true));
      await ledger.recordRequest(row(i, false));
    }
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    // The last sync may still be under way: let it finish.
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { checkpoints, seconds, delayMaxMs: delay.max / 1e6, delayP999Ms: delay.percentile(99.9) / 1e6 };
  } finally {
    await driver.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const at = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
const modes = [
  { name: 'WAL synced first', sync: syncFileOffLoop },
  { name: 'WAL unsynced', sync: (_file, done) => done() },
];
console.log(
  `ledger checkpoints: ${requests} requests (2 commits each) back to back; a checkpoint every ${CHECKPOINT_MAX_COMMITS} commits; node ${process.version}`,
);
console.log('mode              | sync callbacks: over 1 ms, median of those, max (ms) | event loop delay p99.9 / max (ms) | µs per request');
for (const mode of [...modes, ...modes]) {
  const r = await measure(mode.sync);
  const long = r.checkpoints.filter((ms) => ms > 1).sort((a, b) => a - b);
  const max = Math.max(0, ...r.checkpoints);
  console.log(
    `${mode.name.padEnd(17)} | ${String(long.length).padStart(4)}, ${(long.length ? at(long, 0.5) : 0).toFixed(2).padStart(6)}, ${max.toFixed(2).padStart(6)}${' '.repeat(25)} | ${r.delayP999Ms.toFixed(2).padStart(6)} / ${r.delayMaxMs.toFixed(2).padStart(6)}${' '.repeat(17)} | ${((r.seconds * 1e6) / requests).toFixed(0)}`,
  );
}
