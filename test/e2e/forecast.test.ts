import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReportJson as Report } from '../../src/ledger/report-json.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { BIN, fixture, ROOT, runCapped } from './helpers/run-capped.js';
import { seedHistory } from './helpers/seed-history.js';
import { NODE, quote, removeDirs, Tmux, waitFor } from './helpers/tmux.js';

/**
 * The burn-rate forecast and the repo's history as `capped run` shows them: in CI lines, and in
 * the pre-run panel and live bar of a real terminal (tmux); and the breach cause a run is stored with.
 */

let upstream: FakeAnthropic | null = null;
let tmux: Tmux | null = null;
const dirs: string[] = [];

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/cli/run-history.js'))) throw new Error('run `npm run build` first');
});

afterEach(async () => {
  tmux?.kill();
  tmux = null;
  await upstream?.close();
  upstream = null;
  removeDirs(dirs.splice(0));
});

/** A repository (a directory with `.git`) and a data directory whose ledger has its earlier runs. */
async function seededRepo(spends: number[]): Promise<{ repo: string; home: string }> {
  const repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-forecast-repo-')));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-forecast-home-'));
  dirs.push(repo, home);
  fs.mkdirSync(path.join(repo, '.git'));
  await seedHistory(home, repo, spends, [NODE, fixture('looping-agent.mjs')]);
  return { repo, home };
}

describe('forecast and history in CI lines', () => {
  it('prints the repo’s recent runs and the warning at the start, and the burn rate once there is enough data', async () => {
    const { repo, home } = await seededRepo([2, 2.5, 3]);
    // Slow responses: six requests take well over the forecast's 10 seconds.
    upstream = await startFakeAnthropic({ outputTokens: () => 200, chunkDelayMs: 100 });
    const r = await runCapped(['run', '--max-usd', '1', '--', NODE, fixture('looping-agent.mjs')], {
      cwd: repo,
      env: { CAPPED_HOME: home, ANTHROPIC_BASE_URL: upstream.url, FAKE_MAX_REQUESTS: '6' },
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[1]).toBe('capped: recent runs here: median $2.50, p90 $3.00 (3 runs)');
    expect(lines[2]).toBe('capped: warning: the cap $1.00 is below the median run here ($2.50): this run will likely need more');
    const priced = lines.filter((l) => / in [\d,]+ out [\d,]+ /.test(l));
    expect(priced).toHaveLength(6);
    // the first requests say nothing about a rate; the last ones do, with the time and requests left
    expect(priced[0]).not.toContain('burn');
    expect(priced.at(-1)).toMatch(/ \(\d+\.\d%\) · burn \$\d+\.\d+\/min \(\$\d+\.\d+\/request\) · ~[\dhms ]+ or ~\d+ requests left at this rate$/);
    expect(r.record?.breachCause).toBeNull();
  }, 90_000);

  it('stores a run stopped below the repo’s typical cost as cap-below-typical, and the report groups it', async () => {
    const { repo, home } = await seededRepo([2, 2.5, 3]);
    upstream = await startFakeAnthropic({ outputTokens: () => 2000 });
    const r = await runCapped(['run', '--max-usd', '0.2', '--', NODE, fixture('looping-agent.mjs')], {
      cwd: repo,
      env: { CAPPED_HOME: home, ANTHROPIC_BASE_URL: upstream.url },
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.record).toMatchObject({ hardStop: { reason: 'usd' }, exceededInitialBudget: true, breachCause: 'cap-below-typical' });
    const report = await runCapped(['report', '--json'], { cwd: repo, env: { CAPPED_HOME: home } });
    expect((JSON.parse(report.stdout) as Report).causes).toEqual([{ cause: 'cap-below-typical', runs: 1, previous: 0, shareChange: null }]);
  });
});

describe('forecast and history at a terminal (tmux)', () => {
  it('shows the recent runs and the warning in the panel, and the burn rate on the live bar', async () => {
    const { repo, home } = await seededRepo([2, 2.5, 3]);
    upstream = await startFakeAnthropic({ outputTokens: () => 200, chunkDelayMs: 100 });
    tmux = new Tmux();
    const env = `CAPPED_HOME=${quote(home)} ANTHROPIC_BASE_URL=${quote(upstream.url)}`;
    const cmd = [NODE, BIN, 'run', '--max-usd', '1.5', '--', NODE, fixture('looping-agent.mjs')].map(quote).join(' ');
    tmux.start(`cd ${quote(repo)} && env ${env} ${cmd}; echo "CAPPED EXITED $?"; sleep 600`);
    const screen = (): string => tmux!.screen().join('\n');
    await waitFor('the panel', () => screen().includes('recent runs'), 15_000, screen);
    expect(screen()).toMatch(/recent runs +median \$2\.50, p90 \$3\.00 \(3 runs\)/);
    expect(screen()).toMatch(/warning: the cap \$1\.50 is below the median run here/);
    // Before ten seconds of spend there is no rate on the bar; after, "$x/min ~t left".
    await waitFor('the live bar', () => /\$\d+\.\d+\/\$1\.50/.test(tmux!.lastRow()), 15_000, screen);
    expect(tmux.lastRow()).not.toContain('/min');
    const bar = await waitFor(
      'the burn rate on the bar',
      () => (/\$\d+\.\d+\/min ~[\dhms ]+ left/.test(tmux!.lastRow()) ? tmux!.lastRow() : false),
      30_000,
      screen,
    );
    expect(bar).toMatch(/^capped .*\$\d+\.\d+\/\$1\.50 · \$\d+\.\d+ left · \$\d+\.\d+\/min ~[\dhms ]+ left · /);
  }, 60_000);
});
