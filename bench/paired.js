// Paired before/after comparison for the benchmark: the paths run in the same interleaved rounds,
// so the i-th sample of one build and the i-th of another saw the same moment of the machine.
// The median of their per-round differences, with a distribution-free 95 % interval, tells a real
// change of a few hundredths of a millisecond from the run-to-run drift that differencing two
// medians cannot.

/**
 * The order of `items` for round `round`: a shuffle seeded by the round, the same on every run.
 * A rotation would keep each path behind the same neighbour every round, and what one path leaves
 * in the caches then lands on the next one alike: two copies of one build came out 0.05 ms apart.
 */
export function roundOrder(items, round) {
  const out = [...items];
  const next = seededRandom(round * 2654435761 + 1);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Numbers in [0, 1) from `seed` (mulberry32): the same sequence on every run. */
function seededRandom(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** z for a two-sided 95 % interval. */
const Z95 = 1.959964;

/**
 * The median of `values` and a 95 % confidence interval for it from order statistics (the
 * binomial's normal approximation): no assumption about the shape of the distribution.
 * null for fewer than 6 values, too few for an interval.
 */
export function medianInterval(values) {
  const n = values.length;
  if (n < 6) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const half = (Z95 * Math.sqrt(n)) / 2;
  const lo = Math.max(1, Math.floor(n / 2 - half));
  const hi = Math.min(n, Math.ceil(n / 2 + half + 1));
  const mid = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { median: mid, low: sorted[lo - 1], high: sorted[hi - 1], n };
}

/**
 * Build `a` against build `b` on one row, round by round: `a - b` for latencies (ms), `a / b`
 * for throughputs. `a` and `b` are samples in round order, as the benchmark collects them.
 */
export function pairedChange(a, b, measure, kind) {
  if (a.length !== b.length) throw new Error(`paired samples differ in number: ${a.length} and ${b.length}`);
  const per = a.map((s, i) => (kind === 'ratio' ? measure(s) / measure(b[i]) : measure(s) - measure(b[i])));
  return medianInterval(per);
}

/** `interval` as text: ms differences signed, ratios as a percentage; "=" marks an interval that holds no change. */
export function pairedText(interval, kind) {
  if (!interval) return 'n/a';
  const { median, low, high } = interval;
  const fmt = kind === 'ratio' ? (x) => `${(x * 100).toFixed(1)} %` : (x) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  const none = kind === 'ratio' ? 1 : 0;
  const clear = low > none || high < none ? '' : ' (no clear change)';
  return `${fmt(median)} [${fmt(low)}, ${fmt(high)}]${clear}`;
}
