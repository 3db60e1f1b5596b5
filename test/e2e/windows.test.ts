import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { startFakeOpenAI } from '../fixtures/fake-openai.mjs';
import { fixture, runCapped } from './helpers/run-capped.js';

/** Daily/weekly ceilings shared by every run of one ledger, with several capped processes at once. */

let upstream: FakeAnthropic | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await upstream?.close();
  upstream = null;
  for (const c of cleanups.splice(0)) await c();
});

async function pgDatabase(): Promise<string> {
  const admin = process.env.CAPPED_TEST_PG_URL;
  if (!admin) throw new Error('CAPPED_TEST_PG_URL is not set (the global setup starts the server; see test/global-setup.ts)');
  const name = `capped_w_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

describe.each(['sqlite', 'postgres'] as const)('a daily ceiling across concurrent runs (%s ledger)', (backend) => {
  it('is never passed by several runs at once; each is stopped with reason window', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 1500, chunkDelayMs: 2 });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-window-'));
    const env: Record<string, string> = { ANTHROPIC_BASE_URL: upstream.url, CAPPED_HOME: home, CAPPED_DAILY: '0.30', FAKE_CONCURRENCY: '2' };
    if (backend === 'postgres') env.CAPPED_LEDGER_URL = await pgDatabase();
    const runs = await Promise.all([1, 2, 3].map(() => runCapped(['run', '--max-usd', '5', '--', process.execPath, fixture('looping-agent.mjs')], { env })));
    const billed = upstream.billedUsd();
    expect(billed).toBeLessThanOrEqual(0.3);
    expect(billed).toBeGreaterThan(0.2);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(3);
      expect(r.record!.hardStop?.reason).toBe('window');
      expect(r.stderr).toContain('daily ceiling of $0.30 across all runs is reached');
    }
    const metered = runs.reduce((sum, r) => sum + r.record!.spent.usd, 0);
    expect(metered).toBeCloseTo(billed, 8);
  });
});

describe('--on-limit pause at a window ceiling', () => {
  it('holds the next request (never refused, never sent) until the window resets', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 1500 });
    const up = upstream;
    const result = await runCapped(['run', '--max-usd', '5', '--on-limit', 'pause', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: up.url, CAPPED_DAILY: '0.1' },
      onStart: (child) => {
        const started = Date.now();
        const timer = setInterval(() => {
          // Once spend stops growing the run is waiting; end it as a user would.
          if (Date.now() - started > 4000) {
            clearInterval(timer);
            child.kill('SIGTERM');
          }
        }, 100);
      },
    });
    expect(result.stderr).toContain('requests wait until');
    expect(result.stderr).not.toContain('refused');
    expect(up.billedUsd()).toBeLessThanOrEqual(0.1);
    expect(result.record!.hardStop).toBeNull();
    expect(result.code).toBe(143);
  });
});

async function dropDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.CAPPED_TEST_PG_URL });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  await client.end();
}

describe.each([
  ['HTTP', '0'],
  ['WebSocket', '1'],
])('a window hold whose ledger goes away (%s)', (_transport, ws) => {
  it('is answered in the provider’s shape, not to be retried, and capped and the run go on to the record', async () => {
    upstream = await startFakeAnthropic();
    const openai = await startFakeOpenAI();
    cleanups.push(() => openai.close());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-ledger-gone-'));
    const marker = path.join(dir, 'first-done');
    const go = path.join(dir, 'go');
    const ledger = await pgDatabase();
    let dropped: Promise<void> = Promise.resolve();
    const result = await runCapped(['run', '--max-usd', '5', '--', process.execPath, fixture('ledger-gone-agent.mjs')], {
      env: {
        ANTHROPIC_BASE_URL: upstream.url,
        OPENAI_BASE_URL: `${openai.url}/v1`,
        CAPPED_LEDGER_URL: ledger,
        CAPPED_DAILY: '5',
        FAKE_MARKER: marker,
        FAKE_GO: go,
        FAKE_WS: ws,
      },
      onStart: () => {
        // Once the first request went through, the ledger's database disappears under the run.
        dropped = (async () => {
          while (!fs.existsSync(marker)) await new Promise((r) => setTimeout(r, 50));
          await dropDatabase(ledger);
          fs.writeFileSync(go, '');
        })();
      },
    });
    await dropped;
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout.trim().split('\n').pop()!) as { status?: number; shouldRetry?: string; body?: string; frame?: string };
    const expected = 'capped: the daily/weekly ceiling could not be checked because the ledger failed';
    if (ws === '1') {
      const frame = JSON.parse(out.frame!) as { type: string; status: number; error: { message: string } };
      expect(frame).toMatchObject({ type: 'error', status: 400 });
      expect(frame.error.message).toContain(expected);
      expect(openai.bill.wsCreates).toBe(0);
    } else {
      expect(out.status).toBe(402);
      expect(out.shouldRetry).toBe('false');
      const body = JSON.parse(out.body!) as { type: string; error: { type: string; message: string } };
      expect(body).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
      expect(body.error.message).toContain(expected);
    }
    // Only the first request reached an upstream; it alone is in the record, which was written.
    expect(upstream.bill.requests).toHaveLength(1);
    expect(result.record!.spent.requests).toBe(1);
    expect(result.record!.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
    expect(result.stderr).toContain('refused: the daily/weekly ceiling could not be checked');
  });
});
