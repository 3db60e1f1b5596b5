import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/budget/money.js';
import { openLedger } from '../../src/ledger/open-ledger.js';
import { startFakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { HOSTILE_COMMAND, HOSTILE_REPO, seedReview, type SeededRun } from '../fixtures/review-ledger.js';
import { launchChromium, openOffline } from './helpers/browser.js';
import { fixture, ROOT, runCapped } from './helpers/run-capped.js';

/** Pages and screenshots are kept here for people to look at (gitignored). */
const OUT = path.join(ROOT, 'test-output/html-report');
const DAY = 86_400_000;
const env = (home: string): Record<string, string> => ({ CAPPED_HOME: home, TZ: 'UTC' });

let browser: Browser;
let home: string;
let seeded: SeededRun[];

beforeAll(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-html-'));
  const ledger = await openLedger({ url: null, dataDir: home });
  seeded = await seedReview(ledger, Date.now());
  await ledger.close();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('capped report --html in a real browser', () => {
  it('draws every chart with its marks from the seeded ledger, offline, and shows the cost on hover', async () => {
    const file = path.join(OUT, 'review.html');
    const r = await runCapped(['report', '--html', file], { env: env(home) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Wrote the review \([\d,]+ bytes\) to .*review\.html\n$/);

    const { page, context, outside } = await openOffline(browser, file);
    // One bar per calendar day of the week back from now (UTC): eight days unless now is midnight.
    const now = Date.now();
    const days: string[] = [];
    for (let t = now - 7 * DAY; new Date(t).toISOString().slice(0, 10) <= new Date(now - 1).toISOString().slice(0, 10); t += DAY)
      days.push(new Date(t).toISOString().slice(0, 10));
    const bars = await page.locator('svg.days rect.bar').all();
    expect(await Promise.all(bars.map((b) => b.getAttribute('data-day')))).toEqual(days);
    expect(await page.locator('svg.days rect.prev').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.days polyline.rate').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.days circle.rate-dot').count()).toBeGreaterThan(1);

    // Breaches by cause: the three causes of the seed, each with its bar and trend line.
    expect(await page.locator('#causes text.label').allTextContents()).toEqual(['verification-heavy', 'cap-below-typical', 'escalation']);
    expect(await page.locator('#causes polyline.trend').count()).toBe(3);

    // Ten curves, each a path; the marks the seed put in them are drawn.
    const curves = page.locator('#top svg.curve-chart.small');
    expect(await curves.count()).toBe(10);
    expect(await page.locator('#top svg.curve-chart.small path.curve').count()).toBe(10);
    for (const kind of ['verification', 'approval', 'escalation', 'stop'])
      expect(await page.locator(`#top line.mark-${kind}`).count(), kind).toBeGreaterThan(0);

    for (const section of ['by-model', 'by-phase', 'by-repo']) expect(await page.locator(`#${section} rect.bar`).count(), section).toBeGreaterThan(1);

    // Commands and repository names are text, never markup.
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('b').allTextContents()).not.toContain('x');
    expect(await page.locator('#top').textContent()).toContain(HOSTILE_COMMAND[2]);
    expect(await page.locator('#by-repo').textContent()).toContain(HOSTILE_REPO);

    const busiest = seeded.filter((s) => s.id.startsWith('c')).sort((a, b) => b.requests.length - a.requests.length)[0]!;
    const bar = page.locator(`svg.days rect.bar[data-day="${busiest.startedAt.slice(0, 10)}"]`);
    await bar.hover();
    await expect.poll(() => page.locator('#tip').isVisible()).toBe(true);
    expect(await page.locator('#tip').textContent()).toMatch(new RegExp(`^${busiest.startedAt.slice(0, 10)}: \\$[\\d.]+ spent, \\d+ runs?`));

    await page.screenshot({ path: path.join(OUT, 'review.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(OUT, 'review-dark.png'), fullPage: true });
    expect(await outside()).toEqual([]);
    await context.close();
  });

  it('capped runs show <id> --html: every request a point, hover shows its model, tokens, cost and phase', async () => {
    const run = seeded.find((s) => s.id === 'c12')!;
    const file = path.join(OUT, 'run.html');
    const r = await runCapped(['runs', 'show', run.id, '--html', file], { env: env(home) });
    expect(r.code, r.stderr).toBe(0);
    const { page, context, outside } = await openOffline(browser, file);
    const points = page.locator('svg.curve-chart.large circle.point');
    expect(await points.count()).toBe(run.requests.length);
    expect(await page.locator('svg.curve-chart.large line.mark-approval').count()).toBe(1);
    expect(await page.locator('svg.curve-chart.large line.mark-stop').count()).toBe(1);
    expect(await page.locator('svg.curve-chart.large line.mark-verification').count()).toBe(1);

    const q = run.requests[2]!;
    await points.nth(2).hover();
    await expect.poll(() => page.locator('#tip').isVisible()).toBe(true);
    const tokens = q.tokens.input + q.tokens.output + q.tokens.cacheRead + q.tokens.cacheWrite;
    const tip = await page.locator('#tip').textContent();
    expect(tip).toContain(`${formatUsd(q.costNano)} on ${q.model} (${q.phase}) · ${tokens.toLocaleString('en-US')} tokens`);
    await page.screenshot({ path: path.join(OUT, 'run.png'), fullPage: true });
    expect(await outside()).toEqual([]);
    await context.close();
  });

  it('the offline check catches a page that reaches out, whether its policy lets it or blocks it', async () => {
    for (const [name, head] of [
      ['reaching.html', ''],
      ['blocked.html', `<meta http-equiv="Content-Security-Policy" content="default-src 'none'">`],
    ] as const) {
      const file = path.join(OUT, name);
      fs.writeFileSync(file, `<!doctype html><html><head>${head}</head><body><img src="http://127.0.0.1:9/x.png"></body></html>`);
      const { context, outside } = await openOffline(browser, file);
      await expect.poll(async () => (await outside()).some((u) => u.includes('http://127.0.0.1:9/x.png'))).toBe(true);
      await context.close();
    }
  });

  it('an empty ledger gives a page that says so, with no charts', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-html-empty-'));
    const r = await runCapped(['report', '--html', '-'], { env: env(empty) });
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(OUT, 'empty.html');
    fs.writeFileSync(file, r.stdout);
    const { page, context, outside } = await openOffline(browser, file);
    expect(await page.locator('#empty').textContent()).toContain('No runs were recorded in this window');
    expect(await page.locator('svg').count()).toBe(0);
    expect(await outside()).toEqual([]);
    await context.close();
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('a bad path is refused before anything runs, saying how to fix it', async () => {
    const missing = path.join(home, 'no-such-dir', 'review.html');
    const r = await runCapped(['report', '--html', missing], { env: env(home) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `capped: the --html file ${missing} cannot be used: its directory ${path.dirname(missing)} does not exist; create it (mkdir -p ${path.dirname(missing)}) or choose another path, or \`-\` for stdout.\n`,
    );
    const dir = await runCapped(['runs', 'show', 'c12', '--html', home], { env: env(home) });
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain('cannot be used: it is a directory; give a file name such as');
    const run = await runCapped(['run', '--summary-html', missing, '--max-usd', '1', '--', process.execPath, fixture('looping-agent.mjs')], { env: env(home) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`the --summary-html file ${missing} cannot be used: its directory`);
    expect(run.record).toBeNull();
  });

  it('capped run --summary-html writes the run page at the end, and says where in the CI step summary', async () => {
    const upstream = await startFakeAnthropic({ outputTokens: () => 2000 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-html-run-'));
    try {
      const file = path.join(OUT, 'summary.html');
      const stepSummary = path.join(dir, 'step-summary.md');
      const r = await runCapped(['run', '--summary-html', file, '--max-usd', '0.5', '--', process.execPath, fixture('looping-agent.mjs')], {
        env: { ANTHROPIC_BASE_URL: upstream.url, GITHUB_STEP_SUMMARY: stepSummary, CAPPED_HOME: dir },
      });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/Wrote the run page \([\d,]+ bytes\) to .*summary\.html/);
      expect(fs.readFileSync(stepSummary, 'utf8')).toContain(`The run's page (HTML, spend over time): \`${file}\``);
      const { page, context, outside } = await openOffline(browser, file);
      expect(await page.locator('h1').textContent()).toBe(`capped run ${r.record!.id}`);
      expect(await page.locator('svg.curve-chart.large circle.point').count()).toBe(r.record!.spent.requests);
      expect(await page.locator('svg.curve-chart.large line.mark-stop').count()).toBe(1);
      expect(await outside()).toEqual([]);
      await context.close();
    } finally {
      await upstream.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
