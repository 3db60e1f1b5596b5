// Runs bench/proxy-overhead.js several times, one run after another, and says for each row how
// often each path met the issue's target and how far its figure moved between runs (see
// bench/run-summary.js for why one run's verdict is not enough on a small machine).
//
//   node bench/verdicts.js [--runs 5] [--capped PATH/TO/bin/capped.js ...]
//
// Every BENCH_* setting applies to each run as it does to one (e.g. BENCH_BARE=1 adds the floors,
// and the margin of capped over the bare Node hop; BENCH_ROWS picks rows). Each run's own table
// is kept in a temporary directory, named at the end. Exits 0 when every run completed (missed
// targets included), 1 when a run broke, 2 for a bad argument.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { settingsText, summarizeRuns, summaryTable } from './run-summary.js';

const BENCH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'proxy-overhead.js');
const USAGE = 'usage: node bench/verdicts.js [--runs N] [--capped PATH/TO/bin/capped.js ...]';

/** `--runs N` (2 or more, default 5) and the arguments passed on to each run. */
function parseArgs(argv) {
  let runs = 5;
  const passed = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 2) throw new Error(`--runs takes a whole number of 2 or more, got "${argv[i] ?? ''}"`);
      runs = n;
    } else if (argv[i] === '--capped') {
      if (!argv[i + 1]) throw new Error(`--capped takes the path of another build's bin/capped.js; ${USAGE}`);
      passed.push(argv[i], argv[++i]);
    } else throw new Error(`unknown argument "${argv[i]}"; ${USAGE}`);
  }
  return { runs, passed };
}

/** One run: resolves with its result file's contents; its table goes to `tableFile`. */
function runOnce(passed, resultFile, tableFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH, ...passed], {
      env: { ...process.env, BENCH_RESULT_FILE: resultFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString();
      writeFileSync(tableFile, text);
      if (code !== 0) return reject(new Error(`proxy-overhead.js exited with ${code}${code === 2 ? ' (a bad setting: see above)' : ''}`));
      resolve(JSON.parse(readFileSync(resultFile, 'utf8')));
    });
  });
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench/verdicts.js: ${err.message}`);
    return 2;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capped-verdicts-'));
  const results = [];
  for (let k = 1; k <= args.runs; k++) {
    const started = performance.now();
    process.stderr.write(`verdicts: run ${k} of ${args.runs}\n`);
    try {
      results.push(await runOnce(args.passed, path.join(dir, `run-${k}.json`), path.join(dir, `run-${k}.txt`)));
    } catch (err) {
      console.error(`bench/verdicts.js: run ${k} broke: ${err.message}; its output is in ${path.join(dir, `run-${k}.txt`)}`);
      return 1;
    }
    process.stderr.write(`verdicts: run ${k} took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  const labels = Object.assign({}, ...results.map((r) => r.labels));
  const first = results[0];
  console.log(`\ncapped run overhead over ${args.runs} runs, one after another — Node ${first.node}, ${first.cpus} CPU(s)`);
  console.log(`settings: ${settingsText(process.env)}${args.passed.length > 0 ? `; ${args.passed.join(' ')}` : ''}\n`);
  console.log(summaryTable(summarizeRuns(results), labels));
  for (const [k, r] of results.entries()) for (const p of r.problems) console.log(`WARNING (run ${k + 1}): ${p}`);
  console.log(`\neach run's own table: ${dir}/run-N.txt`);
  return 0;
}

process.exitCode = await main();
