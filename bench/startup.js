// Start-up time and memory of the capped CLI: median wall time of BENCH_RUNS (10) runs each of
// `node -e 0`, `capped --version`, `capped --help` and an empty `capped run --max-usd 1 -- true`
// (no terminal, ledger on: the default SQLite one in a temporary CAPPED_HOME), and the peak RSS of
// each (`/usr/bin/time -f %M`). The commands take turns, round by round, so drift from other load
// on the machine lands on all of them alike; one warm-up round comes first.
//
// Usage: node bench/startup.js [--before path/to/other/bin/capped.js]
// With --before, the other build's rows are measured in the same rounds, for a before/after.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const TIME = '/usr/bin/time';
const hasTime = fs.existsSync(TIME);

function builds(argv) {
  const list = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--before' && argv[i + 1]) list.push({ name: 'before', bin: path.resolve(argv[++i]) });
    else {
      console.error(`bench/startup.js: unknown argument ${argv[i]}; usage: node bench/startup.js [--before path/to/bin/capped.js]`);
      process.exit(2);
    }
  }
  list.push({ name: 'after', bin: path.join(ROOT, 'bin/capped.js') });
  return list;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-bench-startup-'));
/** Each build has its own CAPPED_HOME (and HOME), so neither reads the other's ledger. */
function envFor(name) {
  const home = path.join(scratch, name);
  fs.mkdirSync(home, { recursive: true });
  return { PATH: process.env.PATH, HOME: home, CAPPED_HOME: home };
}

const rows = [{ label: 'node -e 0', argv: ['-e', '0'], env: envFor('node'), target: null }];
for (const build of builds(process.argv.slice(2))) {
  const env = envFor(build.name);
  const tag = (s) => `${s} (${build.name})`;
  const after = build.name === 'after';
  rows.push(
    { label: tag('capped --version'), argv: [build.bin, '--version'], env, target: after ? { overMs: 30 } : null },
    { label: tag('capped --help'), argv: [build.bin, '--help'], env, target: null },
    { label: tag('capped run -- true'), argv: [build.bin, 'run', '--max-usd', '1', '--', 'true'], env, target: after ? { overMs: 100, rssMb: 60 } : null },
  );
}

/** One run: wall milliseconds, and peak RSS in MiB when /usr/bin/time is there. */
function once(row) {
  const rssFile = path.join(scratch, 'rss');
  const [cmd, args] = hasTime ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...row.argv]] : [process.execPath, row.argv];
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: scratch, env: row.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${row.label} exited ${r.status}: ${r.stderr}`);
  return { ms, rss: hasTime ? Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : NaN };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  const results = rows.map(() => []);
  for (let round = -1; round < RUNS; round++) {
    // Rotate the order each round so no command always runs first.
    for (let k = 0; k < rows.length; k++) {
      const i = (k + Math.max(0, round)) % rows.length;
      const r = once(rows[i]);
      if (round >= 0) results[i].push(r);
    }
  }
  const base = median(results[0].map((r) => r.ms));
  console.log(
    `capped start-up: median of ${RUNS} (interleaved rounds, after 1 warm-up); node ${process.version}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`${'command'.padEnd(30)} ${'median ms'.padStart(10)} ${'over node'.padStart(10)} ${'x node'.padStart(7)} ${'peak RSS MB'.padStart(12)}  target`);
  rows.forEach((row, i) => {
    const ms = median(results[i].map((r) => r.ms));
    const rss = median(results[i].map((r) => r.rss));
    const over = ms - base;
    let verdict = '';
    if (row.target) {
      const checks = [`+${row.target.overMs} ms: ${over <= row.target.overMs ? 'PASS' : 'FAIL'}`];
      if (row.target.rssMb) checks.push(`RSS <= ${row.target.rssMb} MB: ${rss <= row.target.rssMb ? 'PASS' : 'FAIL'}`);
      verdict = checks.join(', ');
    }
    console.log(
      `${row.label.padEnd(30)} ${ms.toFixed(1).padStart(10)} ${(i === 0 ? '' : `+${over.toFixed(1)}`).padStart(10)} ${(ms / base).toFixed(2).padStart(7)} ${rss.toFixed(1).padStart(12)}  ${verdict}`,
    );
  });
  if (!hasTime) console.log(`WARNING: ${TIME} not found, so no peak RSS figures`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
