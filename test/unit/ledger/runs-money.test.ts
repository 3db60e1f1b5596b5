import { describe, expect, it } from 'vitest';
import { formatUsd } from '../../../src/model/format.js';
import type { RunSummary } from '../../../src/ledger/ledger.js';
import { formatRunList } from '../../../src/ledger/runs-format.js';
import { runSummaryJson } from '../../../src/ledger/runs-json.js';
import { RUN_SUMMARY_JSON_KEYS } from '../../helpers/runs-json-keys.js';

// The run list's spend and its total come from the ledger's nano-dollars, formatted once; only
// `--json` turns them into dollars, keeping the field's name and place.

const summary = (id: string, spentNano: number): RunSummary => ({
  id,
  command: ['claude'],
  cwd: '/r',
  repo: '/r',
  host: 'h',
  pid: 1,
  startedAt: '2026-03-01T10:00:00.000Z',
  endedAt: '2026-03-01T10:05:00.000Z',
  status: 'finished',
  spentNano,
  budgetUsd: null,
  requestCount: 1,
  exceededInitialBudget: false,
  hardStop: null,
  breachCause: null,
});

const list = (runs: RunSummary[]): string => formatRunList(runs, new Date('2026-02-23T09:00:00Z'), { color: false, timeZone: 'UTC' });

describe('run list money', () => {
  it('totals 0.1 + 0.2 dollars of nano as $0.30, and prints 0.1 and 0.2 in the JSON', () => {
    const runs = [summary('a', 100_000_000), summary('b', 200_000_000)];
    expect(list(runs)).toContain(`· ${formatUsd(300_000_000)} spent ·`);
    expect(runs.map((r) => runSummaryJson(r).spentUsd)).toEqual([0.1, 0.2]);
  });

  it('totals amounts a float round trip would move by a nano exactly', () => {
    // Math.round((n / 1e9) * 1e9) is n + 1 for this n; the old total summed such round trips.
    const n = 8_999_999_999_999_014;
    expect(Math.round((n / 1e9) * 1e9)).not.toBe(n);
    const runs = [summary('a', n - 10), summary('b', 10)];
    expect(list(runs)).toContain(`· ${formatUsd(n)} spent ·`);
  });

  it('keeps the JSON fields in their order, spentUsd where the summary has spentNano', () => {
    const json = runSummaryJson({ ...summary('a', 999_999_999_999_999), record: null });
    expect(Object.keys(json)).toEqual([...RUN_SUMMARY_JSON_KEYS, 'record']);
    expect(json.spentUsd).toBe(999_999.999999999);
  });
});
