import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { listenTracked } from '../fixtures/listen.mjs';
import { fixture, runCapped } from './helpers/run-capped.js';

// The proxy does not wait for the ledger before it forwards a request (issue 11): the reservation
// row is committed at the end of the event-loop turn that sent it. So while the upstream works on
// the request, another process reading the ledger sees the row, and a kill -9 of capped then
// still leaves the request charged at its worst case.

const dirs: string[] = [];
let server: { close(): Promise<void> } | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a reservation and its request', () => {
  it('is committed to the ledger while the upstream works on the request', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-durable-'));
    dirs.push(home);
    const seen: { reserved: number; settled: number }[] = [];
    /** The requests rows another process sees, polled until the reservation shows (or 5 s). */
    const ledgerRows = async (): Promise<{ reserved: number; settled: number }> => {
      const until = Date.now() + 5_000;
      for (;;) {
        const db = new Database(path.join(home, 'ledger.db'), { readonly: true });
        let rows: { reserved: number | null; settled: number | null };
        try {
          rows = db.prepare('SELECT sum(reserved = 1) AS reserved, sum(reserved = 0) AS settled FROM requests').get() as typeof rows;
        } finally {
          db.close();
        }
        if (rows.reserved || Date.now() > until) return { reserved: rows.reserved ?? 0, settled: rows.settled ?? 0 };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        void ledgerRows().then((rows) => {
          seen.push(rows);
          const usage = { input_tokens: 12, output_tokens: 5, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'hi' }], usage }),
          );
        });
      });
    });
    const listening = await listenTracked(upstream);
    server = listening;
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] });
    const run = await runCapped(['run', '--max-usd', '1', '--', process.execPath, fixture('one-request-agent.mjs')], {
      cwd: home,
      env: { CAPPED_HOME: home, ANTHROPIC_BASE_URL: listening.url, FAKE_BODY: body },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(seen).toEqual([{ reserved: 1, settled: 0 }]);
    expect(run.record!.spent.requests).toBe(1);
    expect(run.record!.estimated).toBe(false);
  });
});
