// Several runs of bench/proxy-overhead.js side by side (bench/verdicts.js). On a 2-core machine
// two runs of one build differ by about 0.1 ms p50, as much as a target's margin, so one run's
// PASS or FAIL says little; how often a row meets its target over runs, and how far its figure
// moves, says what the build does.
import { markdownTable } from './markdown-table.js';
import { meets, targetText } from './targets.js';

/**
 * @typedef {{ ratio: number } | { p50: number, p99: number | null }} Target
 * @typedef {{ ratio?: number, p50?: number, p99?: number }} Cell
 * @typedef {{ key: string, name: string, metric: string, target: Target | null, paths: Record<string, Cell> }} Row
 * @typedef {{ n: number, median: number, min: number, max: number }} Spread
 * @typedef {Spread & { met: number | null }} PathSummary
 */

/** Median (the mean of the middle two for an even count), least and greatest of some numbers. */
export function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return null;
  const mid = n >> 1;
  const median = n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { n, median, min: sorted[0], max: sorted[n - 1] };
}

/** The figure a row's target is on: the added p50 (ms) of a latency row, the share of direct's throughput of a throughput row. */
const figure = (cell) => cell.ratio ?? cell.p50;

/**
 * Each row of the runs (in the first run's order, then any later run's new rows): for each path,
 * its figure's spread over the runs that measured it and in how many of them it met the row's
 * target (null when the row has none); and what capped's figure was over the bare Node hop's,
 * run by run (ms added at p50, or the ratio of their throughputs), null without the hop.
 * @param {{ rows: Row[] }[]} runs
 */
export function summarizeRuns(runs) {
  const order = [];
  const byKey = new Map();
  for (const run of runs) {
    for (const row of run.rows) {
      if (!byKey.has(row.key)) {
        byKey.set(row.key, { key: row.key, name: row.name, metric: row.metric, target: row.target, seen: [] });
        order.push(row.key);
      }
      byKey.get(row.key).seen.push(row);
    }
  }
  return order.map((key) => {
    const { name, metric, target, seen } = byKey.get(key);
    const pathNames = [...new Set(seen.flatMap((row) => Object.keys(row.paths)))];
    const paths = {};
    for (const path of pathNames) {
      const cells = seen.map((row) => row.paths[path]).filter((cell) => cell !== undefined && figure(cell) !== undefined);
      if (cells.length === 0) continue;
      paths[path] = { ...spread(cells.map(figure)), met: target === null ? null : cells.filter((cell) => meets(target, cell)).length };
    }
    const margins = seen
      .filter((row) => row.paths.capped && row.paths.bare)
      .map(({ paths: { capped, bare } }) => (capped.ratio !== undefined ? capped.ratio / bare.ratio : capped.p50 - bare.p50));
    return { key, name, metric, target, paths, overBare: spread(margins) };
  });
}

const signed = (ms) => `${ms >= 0 ? '+' : ''}${ms.toFixed(3)}`;
const percent = (ratio) => `${(ratio * 100).toFixed(1)} %`;

/** A path's spread over the runs, as the table shows it: median [least, greatest], and the runs that met the target. */
function spreadText(s, throughput) {
  const f = throughput ? percent : signed;
  const range = s.n > 1 ? ` [${f(s.min)}, ${f(s.max)}]` : '';
  return `${f(s.median)}${range}${s.met === null ? '' : `, met ${s.met}/${s.n}`}`;
}

/** Capped over the bare hop: ms added at p50, or the share of the hop's throughput; median [least, greatest]. */
function marginText(s, throughput) {
  const f = throughput ? percent : signed;
  return `${f(s.median)}${throughput ? ' of its throughput' : ' ms'} [${f(s.min)}, ${f(s.max)}]`;
}

/** The summary table: a column per path (in the runs' order), then capped's margin over the bare hop when measured. */
export function summaryTable(summary, labels) {
  const paths = Object.keys(labels).filter((name) => summary.some((row) => row.paths[name]));
  const margin = summary.some((row) => row.overBare !== null);
  const header = ['row (added ms p50, or % of direct: median [least, greatest] over the runs)', 'target', ...paths.map((p) => labels[p])];
  if (margin) header.push('capped run over the bare Node hop');
  const rows = summary.map((row) => {
    const throughput = row.metric === 'throughput';
    const cells = [row.name, targetText(row.target), ...paths.map((p) => (row.paths[p] ? spreadText(row.paths[p], throughput) : 'n/a'))];
    if (margin) cells.push(row.overBare === null ? 'n/a' : marginText(row.overBare, throughput));
    return cells;
  });
  return markdownTable(header, rows);
}

/**
 * The BENCH_* settings the runs were made with, as `NAME=value` words in name order (the result
 * file each run writes is left out): what a reader needs to make the table again.
 */
export function settingsText(env) {
  const set = Object.keys(env)
    .filter((name) => name.startsWith('BENCH_') && name !== 'BENCH_RESULT_FILE' && env[name] !== undefined && env[name] !== '')
    .sort()
    .map((name) => `${name}=${env[name]}`);
  return set.length > 0 ? set.join(' ') : 'the defaults (no BENCH_* variable set)';
}
