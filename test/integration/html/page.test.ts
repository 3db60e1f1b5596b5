import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htmlTarget, loadReview, summaryHtmlWriter } from '../../../src/html/commands.js';
import { reviewPage, runPage } from '../../../src/html/page.js';
import { esc, niceMax } from '../../../src/html/svg.js';
import type { Ledger } from '../../../src/ledger/ledger.js';
import { LocalPathError } from '../../../src/config/local-path.js';
import { HOSTILE_COMMAND, HOSTILE_REPO, seedReview } from '../../fixtures/review-ledger.js';
import { makeStore, type Store } from '../ledger/helpers/backends.js';

const NOW = Date.parse('2026-03-08T12:00:00.000Z');
const DAY = 86_400_000;
const week = { since: new Date(NOW - 7 * DAY), now: new Date(NOW), timeZone: 'UTC' };
const count = (html: string, re: RegExp): number => html.match(new RegExp(re.source, 'g'))?.length ?? 0;

let store: Store;
let ledger: Ledger;
beforeAll(async () => {
  store = await makeStore('sqlite');
  ledger = await store.open({ now: () => new Date(NOW) });
  await seedReview(ledger, NOW);
});
afterAll(async () => {
  await ledger?.close();
  await store?.cleanup();
});

describe('reviewPage', () => {
  it('has a bar per day, a rate line per stretch of days with runs, ten curves, and no markup from the ledger', async () => {
    const html = reviewPage(await loadReview(ledger, week), '/tmp/ledger.db');
    expect(count(html, /<rect class="bar" data-day=/)).toBe(8);
    // The fifth day has no runs: the breach-rate line stops there and starts again after.
    expect(count(html, /<polyline class="rate"/)).toBe(2);
    expect(count(html, /<svg class="chart curve-chart small"/)).toBe(10);
    expect(html).not.toContain(HOSTILE_COMMAND[2]);
    expect(html).toContain(esc(HOSTILE_COMMAND[2]!));
    expect(html).toContain(esc(HOSTILE_REPO));
    expect(count(html, /<script>/)).toBe(1);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toContain('id="few"');
  });

  it('says so for a window without runs, and draws nothing', async () => {
    const html = reviewPage(await loadReview(ledger, { ...week, since: new Date(NOW + DAY), now: new Date(NOW + 2 * DAY) }), 'x');
    expect(html).toContain('No runs were recorded in this window');
    expect(html).not.toContain('<svg');
  });

  it('says a window of one run is too thin for a trend, and still draws it', async () => {
    const html = reviewPage(await loadReview(ledger, { ...week, since: new Date(NOW - 0.4 * DAY) }), 'x');
    expect(html).toContain('Only 1 run in this window');
    expect(count(html, /<svg class="chart curve-chart small"/)).toBe(1);
    expect(count(html, /<polyline class="rate"/)).toBe(0);
    expect(count(html, /<circle class="rate-dot"/)).toBe(1);
  });
});

describe('runPage', () => {
  it('has one point per request, each with its cost in its tip', async () => {
    const run = (await ledger.getRun('c12'))!;
    const html = runPage(run, { timeZone: 'UTC' });
    expect(count(html, /<circle class="point /)).toBe(6);
    expect(html).toContain('data-tip="$0.0780 on claude-haiku-4-5 (implementation) · 8,202 tokens');
    expect(html).toContain('stopped at the spending cap');
  });

  it('says a run without requests has no curve', async () => {
    const run = (await ledger.getRun('c12'))!;
    const html = runPage({ ...run, requests: [] }, { note: 'The run is not in the ledger: the requests are not shown.' });
    expect(html).toContain('This run has no recorded requests');
    expect(html).toContain('The run is not in the ledger');
    expect(html).not.toContain('curve-chart');
  });
});

describe('htmlTarget', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-html-target-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is null for stdout and the resolved file otherwise', () => {
    expect(htmlTarget('-', dir, 'the --html file')).toBeNull();
    expect(htmlTarget('out.html', dir, 'the --html file')).toBe(path.join(dir, 'out.html'));
  });

  it('refuses a missing directory, a directory, and a directory that is a file, saying how to fix it', () => {
    expect(() => htmlTarget('nope/out.html', dir, 'the --html file')).toThrow(
      new LocalPathError(
        'the --html file',
        path.join(dir, 'nope/out.html'),
        `its directory ${path.join(dir, 'nope')} does not exist; create it (mkdir -p ${path.join(dir, 'nope')}) or choose another path, or \`-\` for stdout`,
      ),
    );
    expect(() => htmlTarget('.', dir, 'the --html file')).toThrow(/it is a directory; give a file name such as/);
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(() => htmlTarget('file/out.html', dir, 'the --html file')).toThrow(/file is a file, not a directory/);
  });
});

describe('summaryHtmlWriter', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-html-summary-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses stdout, which is the agent's", () => {
    expect(() => summaryHtmlWriter('-', dir, { env: {}, stderr: () => {}, open: () => Promise.reject(new Error('unused')) })).toThrow(
      /`--summary-html` needs a file name/,
    );
  });

  it('without a readable ledger still writes the page from the record, says why, and tells the CI summary where it is', async () => {
    const record = (await ledger.getRun('c12'))!.record;
    const stepSummary = path.join(dir, 'step.md');
    let err = '';
    const write = summaryHtmlWriter('run.html', dir, {
      env: { GITHUB_STEP_SUMMARY: stepSummary },
      stderr: (t) => (err += t),
      open: () => Promise.reject(new Error('connection refused')),
    });
    await write(record);
    const html = fs.readFileSync(path.join(dir, 'run.html'), 'utf8');
    expect(html).toContain('The run ledger could not be read (connection refused): the requests are not shown.');
    expect(html).toContain('stopped at the spending cap');
    expect(err).toMatch(/^Wrote the run page \([\d,]+ bytes\) to .*run\.html\n$/);
    expect(fs.readFileSync(stepSummary, 'utf8')).toBe(`The run's page (HTML, spend over time): \`${path.join(dir, 'run.html')}\`\n\n`);
  });
});

describe('niceMax', () => {
  it('rounds an axis up to 1, 2 or 5 times a power of ten, and never to 0', () => {
    expect([0, 0.0003, 0.41, 1.78, 5, 7].map(niceMax)).toEqual([1, 0.0005, 0.5, 2, 5, 10]);
  });
});
