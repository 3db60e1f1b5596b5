import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunDetailJson as RunDetail, RunSummaryJson as RunSummary } from '../../src/ledger/runs-json.js';
import type { ReportJson as Report } from '../../src/ledger/report-json.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { fixture, runCapped } from './helpers/run-capped.js';

let upstream: FakeAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

/** Runs a ledger command of the built CLI against the data directory of an earlier run. */
async function ledgerJson<T>(home: string, args: string[]): Promise<T> {
  const r = await runCapped([...args, '--json'], { env: { CAPPED_HOME: home } });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const waitFor = async (check: () => boolean, ms = 20_000): Promise<void> => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the ledger behind capped run', () => {
  it('keeps each run: capped runs, runs show and report agree with the run record', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 2000 });
    const result = await runCapped(['run', '--max-usd', '0.5', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url },
    });
    expect(result.code, result.stderr).toBe(3);
    const record = result.record!;

    const { runs } = await ledgerJson<{ runs: RunSummary[] }>(result.home, ['runs']);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: record.id, status: 'finished', exceededInitialBudget: true, hardStop: { reason: 'usd' }, budgetUsd: 0.5 });
    expect(runs[0]!.spentUsd).toBeCloseTo(record.spent.usd, 9);

    const run = await ledgerJson<RunDetail>(result.home, ['runs', 'show', record.id]);
    expect(run.record).toEqual(record);
    expect(run.requests).toHaveLength(record.spent.requests);
    expect(run.requests.reduce((sum, q) => sum + q.costNano, 0) / 1e9).toBeCloseTo(record.spent.usd, 9);
    expect(run.requests.every((q) => q.model.startsWith('claude-sonnet-4-5') && q.provider.length > 0)).toBe(true);

    const report = await ledgerJson<Report>(result.home, ['report']);
    expect(report).toMatchObject({ runs: 1, breaches: 1, breachRate: 1, hardStops: [{ reason: 'usd', runs: 1 }] });
    expect(report.spentUsd).toBeCloseTo(record.spent.usd, 9);
  });

  it('kill -9 of capped mid-run: runs show lists the run as aborted, with every request it settled', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 500, chunkDelayMs: 5 });
    const up = upstream;
    let billedAtKill = 0;
    let agentPids: number[] = [];
    const result = await runCapped(['run', '--max-usd', '100', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: up.url },
      onStart: (child) => {
        void waitFor(() => up.bill.requests.length >= 6).then(() => {
          const pid = child.pid!;
          // capped cannot end its agent when it is killed -9: the test does, after capped.
          agentPids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
          billedAtKill = up.bill.requests.length;
          child.kill('SIGKILL');
        });
      },
    });
    for (const pid of agentPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    expect(result.signal).toBe('SIGKILL');
    expect(result.record).toBeNull();

    const { runs } = await ledgerJson<{ runs: RunSummary[] }>(result.home, ['runs']);
    expect(runs.map((r) => r.status)).toEqual(['aborted']);
    const run = await ledgerJson<RunDetail>(result.home, ['runs', 'show', runs[0]!.id]);
    const billed = up.bill.requests;
    // Everything settled before the kill is there: at most the one request in flight is missing.
    expect(run.requests.length).toBeGreaterThanOrEqual(billedAtKill - 1);
    expect(run.requests.length).toBeLessThanOrEqual(billed.length);
    // Settled requests are charged what the upstream billed; the one in flight at the kill (if
    // any) stays charged at its reservation, its worst case (durable reservations).
    const settled = run.requests.filter((r) => r.reserved !== true);
    const inFlight = run.requests.filter((r) => r.reserved === true);
    expect(inFlight.length).toBeLessThanOrEqual(1);
    const billedUsd = billed.slice(0, settled.length).reduce((sum, b) => sum + b.pico, 0) / 1e12;
    expect(settled.reduce((sum, r) => sum + r.costNano, 0) / 1e9).toBeCloseTo(billedUsd, 8);
    const reservedUsd = inFlight.reduce((sum, r) => sum + r.costNano, 0) / 1e9;
    if (inFlight.length > 0 && billed.length > settled.length) expect(reservedUsd).toBeGreaterThanOrEqual(billed[settled.length]!.pico / 1e12);
    expect(run.spentUsd).toBeCloseTo(billedUsd + reservedUsd, 8);
    expect(run.record.spent.requests).toBe(run.requests.length);
    expect(run.record.spent.usd).toBeCloseTo(billedUsd + reservedUsd, 8);

    const text = await runCapped(['runs', 'show', run.id], { env: { CAPPED_HOME: result.home } });
    expect(text.stdout).toContain(`run ${run.id} · aborted`);
  });
});

describe('capped run in GitHub Actions', () => {
  it('appends a markdown summary of the run to GITHUB_STEP_SUMMARY', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 2000 });
    const summary = `${fs.mkdtempSync('/tmp/capped-gh-')}/summary.md`;
    fs.writeFileSync(summary, '# earlier step\n');
    const result = await runCapped(['run', '--max-usd', '0.2', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, GITHUB_STEP_SUMMARY: summary },
    });
    expect(result.code).toBe(3);
    const text = fs.readFileSync(summary, 'utf8');
    expect(text.startsWith('# earlier step\n')).toBe(true);
    expect(text).toContain(result.record!.id);
    expect(text).toContain('$0.20');
    expect(text).toContain('Stopped at the');
  });
});
