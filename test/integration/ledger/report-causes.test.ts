import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportAction } from '../../../src/cli/report.js';
import type { LedgerCommandDeps } from '../../../src/cli/runs.js';
import type { Ledger } from '../../../src/ledger/ledger.js';
import type { ReportJson as Report } from '../../../src/ledger/report-json.js';
import type { RunRecord } from '../../../src/ledger/run-record.js';
import type { Suggestion } from '../../../src/ledger/suggest.js';
import { BACKENDS, makeStore, type Store } from './helpers/backends.js';
import { finishedRecord, request, runStart, T0 } from '../../helpers/ledger-rows.js';

const DAY = 86_400_000;
/** The report's "now": a week after T0, so this week is [T0, T0 + 7d) and the previous one before T0. */
const NOW = new Date(T0 + 7 * DAY);

/**
 * Seeds one run: started `dayOffset` days from T0, finished with a record (and its stored cause)
 * unless `finish` is false, in which case it was killed after a hard stop. Spend is per request.
 */
async function seed(
  ledger: Ledger,
  repo: string,
  id: string,
  dayOffset: number,
  o: { spent: number[]; verification?: number[]; cause?: RunRecord['breachCause']; hardStop?: string; finish?: boolean },
): Promise<void> {
  const startedAt = new Date(T0 + dayOffset * DAY).toISOString();
  const start = runStart(id, { startedAt, repo, cwd: repo });
  await ledger.startRun(start);
  const base = Date.parse(startedAt);
  const all = [
    ...o.spent.map((usd) => ({ usd, phase: 'implementation' as const })),
    ...(o.verification ?? []).map((usd) => ({ usd, phase: 'verification' as const })),
  ];
  for (const [i, r] of all.entries()) await ledger.recordRequest(request(id, i, { costNano: Math.round(r.usd * 1e9), phase: r.phase }, base));
  if (o.hardStop) await ledger.recordHardStop(id, o.hardStop, new Date(base + 60_000).toISOString());
  if (o.finish === false) return;
  const total = all.reduce((s, r) => s + r.usd, 0);
  const verification = (o.verification ?? []).reduce((s, v) => s + v, 0);
  await ledger.finishRun(
    finishedRecord(start, {
      spent: { usd: total, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, actions: 0, requests: all.length },
      phases: { implementation: { usd: total - verification }, verification: { usd: verification } },
      exceededInitialBudget: o.cause !== undefined && o.cause !== null,
      breachCause: o.cause ?? null,
      hardStop: o.hardStop ? { reason: o.hardStop as 'usd', at: new Date(base + 60_000).toISOString() } : null,
    }),
  );
}

describe.each(BACKENDS)('breach causes and --suggest from a seeded ledger on %s', (backend) => {
  let store: Store;
  let repo: string;
  let out: string;
  let deps: LedgerCommandDeps;
  let select: { ledger?: string };

  beforeEach(async () => {
    store = await makeStore(backend);
    repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-causes-')));
    fs.mkdirSync(path.join(repo, '.git'));
    out = '';
    deps = { env: { CAPPED_HOME: store.dataDir }, cwd: repo, now: () => NOW, timeZone: 'UTC', stdout: (t) => (out += t) };
    select = store.url === null ? {} : { ledger: store.url };
    const ledger = await store.open({ now: () => NOW });
    // the previous week: one loop, one verification-heavy
    await seed(ledger, repo, 'p-loop', -3, { spent: [0.2, 0.2], cause: 'retry-loop', hardStop: 'loop' });
    await seed(ledger, repo, 'p-verify', -2, { spent: [0.2], verification: [0.9], cause: 'verification-heavy' });
    // this week: six normal runs ($0.40 .. $0.90, verification up to a third of each), and breaches
    for (const [i, usd] of [0.4, 0.5, 0.6, 0.7, 0.8, 0.9].entries()) {
      await seed(ledger, repo, `n${i}`, i * 0.5, { spent: [usd * 0.7], verification: [usd * 0.3] });
    }
    await seed(ledger, repo, 'b-loop1', 4, { spent: [0.3, 0.3], cause: 'retry-loop', hardStop: 'loop' });
    await seed(ledger, repo, 'b-loop2', 5, { spent: [0.3], cause: 'retry-loop', hardStop: 'loop' });
    await seed(ledger, repo, 'b-scope', 5.5, { spent: [0.6], cause: 'scope', hardStop: 'scope' });
    // killed after an idle stop: no record, so no stored cause; the report works it out from the row
    await seed(ledger, repo, 'b-idle', 6, { spent: [0.1], hardStop: 'idle', finish: false });
    await ledger.close();
  });
  afterEach(async () => {
    await store.cleanup();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('groups this week’s breaches by cause against the previous week, in JSON and text', async () => {
    await reportAction({ json: true, ...select }, deps);
    const report = JSON.parse(out) as Report;
    expect(report.breaches).toBe(4);
    expect(report.causes).toEqual([
      { cause: 'retry-loop', runs: 2, previous: 1, shareChange: 0 },
      { cause: 'idle', runs: 1, previous: 0, shareChange: 0.25 },
      { cause: 'scope', runs: 1, previous: 0, shareChange: 0.25 },
      { cause: 'verification-heavy', runs: 0, previous: 1, shareChange: -0.5 },
    ]);
    expect(report.topRuns.find((r) => r.id === 'b-scope')?.breachCause).toBe('scope');
    expect(report.topRuns.find((r) => r.id === 'n5')?.breachCause).toBeNull();

    out = '';
    await reportAction({ ...select }, deps);
    expect(out).toContain(
      [
        'breaches by cause',
        '  retry-loop          2  ▲ previous 7 days: 1',
        '  idle                1  ▲ previous 7 days: 0',
        '  scope               1  ▲ previous 7 days: 0',
        '  verification-heavy  0  ▼ previous 7 days: 1',
        '',
      ].join('\n'),
    );
  });

  it('writes the causes to the GitHub step summary when there is one', async () => {
    const summary = path.join(repo, 'summary.md');
    await reportAction({ ...select }, { ...deps, env: { ...deps.env, GITHUB_STEP_SUMMARY: summary } });
    const md = fs.readFileSync(summary, 'utf8');
    expect(md).toContain('### capped report · last 7 days');
    expect(md).toContain('| `retry-loop` | 2 | 1 | ▲ |');
    expect(md).toContain('| `verification-heavy` | 0 | 1 | ▼ |');
  });

  it('suggests maxUsd from the p90 of normal runs and verifyShare from theirs', async () => {
    await reportAction({ suggest: true, json: true, ...select }, deps);
    const s = JSON.parse(out) as Suggestion;
    // 12 runs in 30 days, 6 ended normally: p90 of $0.40..$0.90 is $0.90; verification 30% of each
    expect(s).toMatchObject({ repo, runs: 12, normalRuns: 6, notEnough: null, medianUsd: 0.6, p90Usd: 0.9, verifyShareP90: 0.3 });
    // the built-in policy: $1.00 and 40%; the share already fits, the cap comes down
    expect(s.changes).toEqual({ maxUsd: 0.9 });
    out = '';
    fs.writeFileSync(path.join(repo, '.budgetrc'), 'maxUsd: 0.5\nverifyShare: 0.2\n');
    await reportAction({ suggest: true, ...select }, deps);
    expect(out).toContain('  6 runs of 12 ended within their budget: median $0.60, p90 $0.90\n');
    expect(out).toContain(`Suggested change to ${path.join(repo, '.budgetrc')}:\n`);
    expect(out).toContain('  maxUsd: 0.9  # was 0.5; the p90 of runs that ended normally, rounded up\n');
    expect(out).toContain('  verifyShare: 0.3  # was 0.2; the p90 verification share, rounded up\n');
  });

  it('says plainly when there are too few normal runs to suggest anything', async () => {
    await reportAction({ suggest: true, since: '2d', ...select }, deps);
    expect(out).toContain('Too little data to suggest a change: 0 of 3 runs of this repo in the period ended within their budget; at least 5 are needed.');
    expect(out).toContain('Breaches so far: 1 idle, 1 retry-loop, 1 scope.');
    expect(out).not.toContain('Suggested change');
  });
});
