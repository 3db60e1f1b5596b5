import { describe, expect, it } from 'vitest';
import { settingsText, spread, summarizeRuns, summaryTable, type Row } from '../../../bench/run-summary.js';
import { meets, rowTarget, targetText } from '../../../bench/targets.js';

const LATENCY = { p50: 0.3, p99: 2 };
const PROVIDER = { p50: 0.5, p99: null };
const THROUGHPUT = { ratio: 0.9 };

const json = (capped: number, bare: number, cappedP99 = 1): Row => ({
  key: 'json',
  name: 'JSON request (Anthropic), total',
  metric: 'total',
  target: LATENCY,
  paths: { capped: { p50: capped, p99: cappedP99 }, bare: { p50: bare, p99: 1 } },
});
const mb10 = (capped: number, bare: number): Row => ({
  key: 'mb10',
  name: 'stream 10 MB (Anthropic), throughput',
  metric: 'throughput',
  target: THROUGHPUT,
  paths: { capped: { ratio: capped }, bare: { ratio: bare } },
});

describe('the targets', () => {
  it("are the issue's: 0.3 / 2 ms on Anthropic HTTP rows, 0.5 ms p50 on the others, 90 % throughput, none on a row read from another", () => {
    expect(rowTarget({ metric: 'total', provider: 'anthropic' })).toEqual(LATENCY);
    expect(rowTarget({ metric: 'ttfb', provider: 'openai' })).toEqual(PROVIDER);
    expect(rowTarget({ metric: 'ttfb', provider: 'anthropic', ws: true })).toEqual(PROVIDER);
    expect(rowTarget({ metric: 'throughput', provider: 'anthropic' })).toEqual(THROUGHPUT);
    expect(rowTarget({ metric: 'total', provider: 'openai', from: 'ws' })).toBeNull();
    expect([LATENCY, PROVIDER, THROUGHPUT, null].map(targetText)).toEqual(['p50 <= 0.3, p99 <= 2', 'p50 <= 0.5', '>= 90 %', '(none)']);
  });

  it('are met at their bounds, and a latency row needs its p99 too where it has one', () => {
    expect(meets(LATENCY, { p50: 0.3, p99: 2 })).toBe(true);
    expect(meets(LATENCY, { p50: 0.301, p99: 1 })).toBe(false);
    expect(meets(LATENCY, { p50: 0.1, p99: 2.01 })).toBe(false);
    expect(meets(PROVIDER, { p50: 0.5, p99: 50 })).toBe(true);
    expect(meets(THROUGHPUT, { ratio: 0.9 })).toBe(true);
    expect(meets(THROUGHPUT, { ratio: 0.899 })).toBe(false);
    // A cell without the figure (the path did not measure the row) meets nothing.
    expect(meets(LATENCY, {})).toBe(false);
    expect(meets(THROUGHPUT, {})).toBe(false);
  });
});

describe('spread', () => {
  it('gives the median (the middle two averaged for an even count), least and greatest', () => {
    expect(spread([3, 1, 2])).toEqual({ n: 3, median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ n: 4, median: 2.5, min: 1, max: 4 });
    expect(spread([])).toBeNull();
  });
});

describe('summarizeRuns', () => {
  it('counts the runs in which each path met the target, and spreads its figure over them', () => {
    const [row] = summarizeRuns([{ rows: [json(0.28, 0.25)] }, { rows: [json(0.35, 0.24)] }, { rows: [json(0.29, 0.31, 2.5)] }]);
    // Run 3 meets p50 but not p99.
    expect(row!.paths.capped).toEqual({ n: 3, median: 0.29, min: 0.28, max: 0.35, met: 1 });
    expect(row!.paths.bare).toEqual({ n: 3, median: 0.25, min: 0.24, max: 0.31, met: 2 });
    // Capped over the hop, run by run: +0.03, +0.11, −0.02.
    expect(row!.overBare!.median).toBeCloseTo(0.03, 10);
    expect(row!.overBare!.min).toBeCloseTo(-0.02, 10);
    expect(row!.overBare!.max).toBeCloseTo(0.11, 10);
  });

  it('reads a throughput row by its ratio, and the margin over the hop as the ratio of the two', () => {
    const [row] = summarizeRuns([{ rows: [mb10(0.8, 1)] }, { rows: [mb10(0.92, 0.8)] }]);
    expect(row!.paths.capped).toMatchObject({ n: 2, min: 0.8, max: 0.92, met: 1 });
    expect(row!.paths.capped!.median).toBeCloseTo(0.86, 10);
    expect(row!.overBare!.min).toBeCloseTo(0.8, 10);
    expect(row!.overBare!.max).toBeCloseTo(1.15, 10);
  });

  it("keeps the first run's row order, adds rows that only later runs have, and counts each path over the runs that measured it", () => {
    const noBare: Row = { ...json(0.2, 0), paths: { capped: { p50: 0.2, p99: 1 } } };
    const wsAll: Row = { key: 'wsall', name: 'Responses WebSocket whole response', metric: 'total', target: null, paths: { capped: { p50: 0.4, p99: 1 } } };
    const summary = summarizeRuns([{ rows: [mb10(0.7, 0.8), json(0.2, 0.3)] }, { rows: [noBare, wsAll] }]);
    expect(summary.map((r) => r.key)).toEqual(['mb10', 'json', 'wsall']);
    expect(summary[1]!.paths.capped).toMatchObject({ n: 2, met: 2 });
    expect(summary[1]!.paths.bare).toMatchObject({ n: 1, met: 1 });
    expect(summary[1]!.overBare).toMatchObject({ n: 1 });
    // No target: nothing to count, the figure is still spread; no hop: no margin.
    expect(summary[2]!.paths.capped).toMatchObject({ n: 1, median: 0.4, met: null });
    expect(summary[2]!.overBare).toBeNull();
  });
});

describe('summaryTable', () => {
  it('shows each path as median [least, greatest] with the runs that met, and the margin over the hop', () => {
    const summary = summarizeRuns([{ rows: [json(0.28, 0.25), mb10(0.8, 1)] }, { rows: [json(0.35, 0.24), mb10(0.92, 0.8)] }]);
    const lines = summaryTable(summary, { capped: 'capped run (this build)', bare: 'bare Node hop (floor)' }).split('\n');
    const cells = (line: string | undefined) =>
      line!
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    expect(cells(lines[0]).slice(1)).toEqual(['target', 'capped run (this build)', 'bare Node hop (floor)', 'capped run over the bare Node hop']);
    expect(cells(lines[2])).toEqual([
      'JSON request (Anthropic), total',
      'p50 <= 0.3, p99 <= 2',
      '+0.315 [+0.280, +0.350], met 1/2',
      '+0.245 [+0.240, +0.250], met 2/2',
      '+0.070 ms [+0.030, +0.110]',
    ]);
    expect(cells(lines[3]).slice(2)).toEqual([
      '86.0 % [80.0 %, 92.0 %], met 1/2',
      '90.0 % [80.0 %, 100.0 %], met 1/2',
      '97.5 % of its throughput [80.0 %, 115.0 %]',
    ]);
    // Every line is as wide as the header.
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('leaves the margin column out when no run measured the hop', () => {
    const header = summaryTable(summarizeRuns([{ rows: [{ ...json(0.2, 0), paths: { capped: { p50: 0.2, p99: 1 } } }] }]), { capped: 'capped run' }).split(
      '\n',
    )[0]!;
    expect(header).not.toMatch(/bare Node hop/);
    expect(header).toMatch(/\| capped run +\|$/);
  });
});

describe('settingsText', () => {
  it("names the BENCH_* settings in name order, without the runs' own result file or empty ones", () => {
    const env = {
      PATH: '/usr/bin',
      BENCH_UPSTREAM_IDLE: '1',
      BENCH_BARE: '1',
      BENCH_RESULT_FILE: '/tmp/r.json',
      BENCH_ROWS: '',
      BENCH_N: '2000',
      HOME: '/root',
    };
    expect(settingsText(env)).toBe('BENCH_BARE=1 BENCH_N=2000 BENCH_UPSTREAM_IDLE=1');
  });

  it('says when the defaults were used', () => {
    expect(settingsText({ PATH: '/usr/bin', BENCH_RESULT_FILE: '/tmp/r.json' })).toBe('the defaults (no BENCH_* variable set)');
  });
});
