// The targets for the proxy-overhead rows (issue 11), shared by bench/proxy-overhead.js,
// which checks one run, and bench/verdicts.js, which counts them over several runs.

/** Added p50 and p99 (ms) for the Anthropic HTTP rows, p50 for the other providers and the WebSocket, throughput as a share of direct. */
export const TARGETS = { p50: 0.3, p99: 2, providerP50: 0.5, throughput: 0.9 };

/**
 * A row's target: `{ ratio }` for a throughput row, `{ p50, p99 }` for a latency row (p99 null
 * where the issue sets none), null for a row with no target of its own (one measured from another
 * row's rounds).
 * @param {{ metric: string, provider?: string, ws?: boolean, from?: string }} row
 * @returns {{ ratio: number } | { p50: number, p99: number | null } | null}
 */
export function rowTarget(row) {
  if (row.from) return null;
  if (row.metric === 'throughput') return { ratio: TARGETS.throughput };
  if (row.provider === 'anthropic' && !row.ws) return { p50: TARGETS.p50, p99: TARGETS.p99 };
  return { p50: TARGETS.providerP50, p99: null };
}

/**
 * Whether a path's cell meets the target: `{ p50, p99 }` ms added over direct for a latency row,
 * `{ ratio }` of direct's throughput for a throughput row.
 * @param {{ ratio: number } | { p50: number, p99: number | null }} target
 * @param {{ ratio?: number, p50?: number, p99?: number }} cell
 */
export function meets(target, cell) {
  if ('ratio' in target) return (cell.ratio ?? -Infinity) >= target.ratio;
  if ((cell.p50 ?? Infinity) > target.p50) return false;
  return target.p99 === null || (cell.p99 ?? Infinity) <= target.p99;
}

/** The target as the table shows it. */
export function targetText(target) {
  if (target === null) return '(none)';
  if ('ratio' in target) return `>= ${target.ratio * 100} %`;
  return target.p99 === null ? `p50 <= ${target.p50}` : `p50 <= ${target.p50}, p99 <= ${target.p99}`;
}
