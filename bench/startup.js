// Start-up time and memory of the capped CLI: median wall time of BENCH_RUNS (10) runs each of
// `node -e 0`, `capped --version`, `capped --help` and an empty `capped run --max-usd 1 -- true`
// (no terminal, ledger on: the default SQLite one in a temporary CAPPED_HOME), that run again with
// no compiled code kept from earlier runs (CAPPED_HOME/cache removed first), and the peak RSS of
// each (`/usr/bin/time -f %M`). The commands take turns, round by round, so drift from other load
// on the machine lands on all of them alike; one warm-up round comes first.
//
// A run starts by reading what the repository's runs cost (the ledger's history), so each build's
// ledger first gets BENCH_LEDGER_RUNS (400) finished runs of the bench's directory from the past
// month, 5 requests each, as a user's ledger has: an empty ledger would leave that read out.
//
// The empty run and `node -e 0` are also timed in a terminal (a pseudo-terminal from util-linux's
// `script`), as a user at a shell starts them: capped then runs the agent in a PTY of its own and
// draws its panels and bar (as text; Ink only for a wide character).
// Those rows are compared with `node -e 0` in a terminal.
//
// Usage: node bench/startup.js [--before path/to/other/bin/capped.js]
// With --before, the other build's rows are measured in the same rounds, for a before/after.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { buildsToCompare } from './builds.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const TIME = '/usr/bin/time';
const hasTime = fs.existsSync(TIME);

const LEDGER_RUNS = Number(process.env.BENCH_LEDGER_RUNS ?? 400);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-bench-startup-'));
/** Each build has its own CAPPED_HOME (and HOME), so neither reads the other's ledger. */
function envFor(name) {
  const home = path.join(scratch, name);
  fs.mkdirSync(home, { recursive: true });
  return { PATH: process.env.PATH, HOME: home, CAPPED_HOME: home };
}

const SCRIPT = '/usr/bin/script';
const hasScript = fs.existsSync(SCRIPT);

// `baseline`: what the other rows are compared with (started the same way: in a terminal or not).
const rows = [{ label: 'node -e 0', argv: ['-e', '0'], env: envFor('node'), target: null, baseline: true }];
if (hasScript) rows.push({ label: 'node -e 0 (in a terminal)', argv: ['-e', '0'], env: rows[0].env, target: null, terminal: true, baseline: true });
/** Each build's bin and environment, for the ledger's seeding. */
const ledgers = [];
for (const build of buildsToCompare('startup.js', process.argv.slice(2))) {
  const env = envFor(build.name);
  ledgers.push({ bin: build.bin, env });
  const tag = (s) => `${s} (${build.name})`;
  const after = build.name === 'after';
  rows.push(
    { label: tag('capped --version'), argv: [build.bin, '--version'], env, target: after ? { overMs: 30 } : null },
    { label: tag('capped --help'), argv: [build.bin, '--help'], env, target: null },
    { label: tag('capped run -- true'), argv: [build.bin, 'run', '--max-usd', '1', '--', 'true'], env, target: after ? { overMs: 100, rssMb: 60 } : null },
    // The first run after an install or an upgrade: no compiled code kept yet, which it writes
    // at exit (src/cli/compile-cache.ts). A build without the cache runs as in the row above.
    { label: tag('capped run, first (no cache)'), argv: [build.bin, 'run', '--max-usd', '1', '--', 'true'], env, target: null, noCache: true },
  );
  if (hasScript) {
    const argv = [build.bin, 'run', '--max-usd', '1', '--', 'true'];
    rows.push({ label: tag('capped run -- true, terminal'), argv, env, target: after ? { overMs: 100, rssMb: 60 } : null, terminal: true });
  }
}

/**
 * Gives the ledger in `env`'s CAPPED_HOME LEDGER_RUNS past runs: one real run of `bin` makes it
 * (in that build's own schema), then the rows go in with SQL, in one transaction.
 */
function seedLedger(bin, env) {
  const made = spawnSync(process.execPath, [bin, 'run', '--max-usd', '1', '--', 'true'], { cwd: scratch, env, stdio: 'ignore', timeout: 60_000 });
  if (made.status !== 0) throw new Error(`${bin}: the seeding run exited ${made.status}`);
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(path.join(env.CAPPED_HOME, 'ledger.db'));
  const repo = fs.realpathSync(scratch);
  const now = Date.now();
  const run = db.prepare(
    "INSERT INTO runs (id, command, cwd, repo, host, pid, started_at, ended_at, last_at, status, budget, policy, spent_nano, request_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'finished', ?, ?, ?, 5)",
  );
  const request = db.prepare(
    "INSERT INTO requests (run_id, at, model, provider, phase, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_nano, estimated, retry) VALUES (?, ?, 'claude-sonnet-4-5', 'anthropic', 'implementation', 3000, 400, 20000, 1000, ?, 0, 0)",
  );
  const budget = JSON.stringify({ usd: 1.5, tokens: null, actions: null, verifyUsd: null });
  const policy = JSON.stringify({ preset: null, onLimit: 'stop', escalation: 'ask', model: null, downgradeTo: null, restrictedTools: [] });
  db.transaction(() => {
    for (let i = 0; i < LEDGER_RUNS; i++) {
      const id = `seed-${i}`;
      const started = now - Math.round(((i + 1) / (LEDGER_RUNS + 1)) * 29 * 86_400_000);
      const command = JSON.stringify(i % 4 === 0 ? ['true'] : ['claude', '-p', `fix issue ${i}`]);
      run.run(id, command, repo, repo, os.hostname(), 1, started, started + 600_000, started + 600_000, budget, policy, (i % 50) * 20_000_000);
      for (let k = 0; k < 5; k++) request.run(id, started + k * 60_000, (i % 50) * 4_000_000);
    }
  })();
  db.close();
}

/** One run: wall milliseconds, and peak RSS in MiB when /usr/bin/time is there. */
function once(row) {
  if (row.noCache) fs.rmSync(path.join(row.env.CAPPED_HOME, 'cache'), { recursive: true, force: true });
  const rssFile = path.join(scratch, 'rss');
  let [cmd, args] = hasTime ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...row.argv]] : [process.execPath, row.argv];
  // `script -e` runs the command in a pseudo-terminal and exits with its code.
  if (row.terminal) [cmd, args] = [SCRIPT, ['-qec', [cmd, ...args].map(shellQuote).join(' '), '/dev/null']];
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: scratch, env: row.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${row.label} exited ${r.status}: ${r.stderr}`);
  return { ms, rss: hasTime ? Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : NaN };
}

const shellQuote = (arg) => `'${arg.replaceAll("'", `'\\''`)}'`;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  for (const { bin, env } of ledgers) seedLedger(bin, env);
  const results = rows.map(() => []);
  for (let round = -1; round < RUNS; round++) {
    // Rotate the order each round so no command always runs first.
    for (let k = 0; k < rows.length; k++) {
      const i = (k + Math.max(0, round)) % rows.length;
      const r = once(rows[i]);
      if (round >= 0) results[i].push(r);
    }
  }
  // A terminal row is compared with node started the same way.
  const baseOf = (row) => median(results[rows.findIndex((r) => r.baseline && !!r.terminal === !!row.terminal)].map((r) => r.ms));
  console.log(
    `capped start-up: median of ${RUNS} (interleaved rounds, after 1 warm-up); ledgers seeded with ${LEDGER_RUNS} past runs; node ${process.version}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`${'command'.padEnd(40)} ${'median ms'.padStart(10)} ${'over node'.padStart(10)} ${'x node'.padStart(7)} ${'peak RSS MB'.padStart(12)}  target`);
  rows.forEach((row, i) => {
    const ms = median(results[i].map((r) => r.ms));
    const rss = median(results[i].map((r) => r.rss));
    const base = baseOf(row);
    const over = ms - base;
    let verdict = '';
    if (row.target) {
      const checks = [`+${row.target.overMs} ms: ${over <= row.target.overMs ? 'PASS' : 'FAIL'}`];
      if (row.target.rssMb) checks.push(`RSS <= ${row.target.rssMb} MB: ${rss <= row.target.rssMb ? 'PASS' : 'FAIL'}`);
      verdict = checks.join(', ');
    }
    console.log(
      `${row.label.padEnd(40)} ${ms.toFixed(1).padStart(10)} ${(row.baseline ? '' : `+${over.toFixed(1)}`).padStart(10)} ${(ms / base).toFixed(2).padStart(7)} ${rss.toFixed(1).padStart(12)}  ${verdict}`,
    );
  });
  if (!hasTime) console.log(`WARNING: ${TIME} not found, so no peak RSS figures`);
  if (!hasScript) console.log(`WARNING: ${SCRIPT} not found (util-linux), so no rows in a terminal`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
