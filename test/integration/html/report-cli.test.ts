import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FatalError } from '../../../src/errors.js';
import { registerReportCommand } from '../../../src/cli/report.js';
import { registerRunsCommand } from '../../../src/cli/runs.js';
import { seedReview } from '../../fixtures/review-ledger.js';
import { BACKENDS, makeStore, type Store } from '../ledger/helpers/backends.js';

const NOW = Date.parse('2026-03-08T12:00:00.000Z');

describe.each(BACKENDS)('capped report --html / --days on a %s ledger', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await makeStore(backend);
    const ledger = await store.open({ now: () => new Date(NOW) });
    await seedReview(ledger, NOW);
    await ledger.close();
  });
  afterAll(() => store?.cleanup());

  /** Runs a ledger command the way `main` does, against the seeded store; returns stdout or the error. */
  async function capped(...argv: string[]): Promise<string> {
    let out = '';
    const deps = { env: { CAPPED_HOME: store.dataDir }, cwd: store.dataDir, now: () => new Date(NOW), timeZone: 'UTC', stdout: (t: string) => (out += t) };
    const program = new Command('capped').exitOverride();
    registerRunsCommand(program, deps);
    registerReportCommand(program, deps);
    try {
      await program.parseAsync([...argv, ...(store.url ? ['--ledger', store.url] : [])], { from: 'user' });
    } catch (e) {
      if (e instanceof FatalError) return `capped: ${e.message}`;
      throw e;
    }
    return out;
  }

  it('writes the review page to stdout for -, from this ledger', async () => {
    const html = await capped('report', '--html', '-');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<rect class="bar" data-day=/g)).toHaveLength(8);
    expect(html.match(/<svg class="chart curve-chart small"/g)).toHaveLength(10);
    expect(html).toContain(backend === 'postgres' ? 'ledger postgres://' : 'ledger /');
  });

  it("writes one run's page for runs show --html", async () => {
    const html = await capped('runs', 'show', 'c12', '--html', '-');
    expect(html.match(/<circle class="point /g)).toHaveLength(6);
  });

  it('reads --days n as --since nd, and refuses a bad count or both at once', async () => {
    expect(await capped('report', '--days', '3', '--json')).toBe(await capped('report', '--since', '3d', '--json'));
    expect(await capped('report', '--days', '0')).toBe('capped: Expected `--days` to be a whole number of days like 7 or 30, got `0`.');
    expect(await capped('report', '--days', '2', '--since', '3d')).toBe('capped: Give `--since` or `--days`, not both.');
  });
});
