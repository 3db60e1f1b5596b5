import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptWebSocket } from '../fixtures/fake-ws.mjs';
import { listenTracked } from '../fixtures/listen.mjs';
import { fixture, runCapped } from './helpers/run-capped.js';

// The proxy does not wait for the ledger before it forwards a request (issue 11): the reservation
// row is asked for once the request is sent and committed at the end of that event-loop turn. So
// while the upstream works on the request, another process reading the ledger sees the row, and
// a kill -9 of capped then still leaves the request charged at its worst case. Over HTTP and over
// the Responses WebSocket alike: each sends the request its own way and asks for the row itself.

const dirs: string[] = [];
let server: { close(): Promise<void> } | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Rows {
  reserved: number;
  settled: number;
}

/** The requests rows another process sees in `home`'s ledger, polled until the reservation shows (or 5 s). */
async function ledgerRows(home: string): Promise<Rows> {
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
}

function tempHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-durable-'));
  dirs.push(home);
  return home;
}

describe('a reservation and its request', () => {
  it('is committed to the ledger while the upstream works on the request', async () => {
    const home = tempHome();
    const seen: Rows[] = [];
    const upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        void ledgerRows(home).then((rows) => {
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

  it('is committed to the ledger while the upstream works on a WebSocket response.create', async () => {
    const home = tempHome();
    const seen: Rows[] = [];
    // A Responses WebSocket upstream that looks at the ledger before it answers each message.
    const upstream = http.createServer((_req, res) => res.writeHead(404).end());
    upstream.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const conn = acceptWebSocket(
        socket,
        String(req.headers['sec-websocket-key']),
        head,
        () =>
          void ledgerRows(home).then((rows) => {
            seen.push(rows);
            const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, total_tokens: 17 };
            const response = { id: 'resp_1', object: 'response', status: 'completed', model: 'gpt-4.1', output: [], usage };
            conn.sendText(JSON.stringify({ type: 'response.created', response: { ...response, status: 'in_progress', usage: null } }));
            conn.sendText(JSON.stringify({ type: 'response.completed', response }));
          }),
        () => undefined,
      );
    });
    const listening = await listenTracked(upstream);
    server = listening;
    const body = JSON.stringify({ type: 'response.create', model: 'gpt-4.1', input: 'hello', max_output_tokens: 100 });
    const run = await runCapped(['run', '--max-usd', '1', '--', process.execPath, fixture('one-request-agent.mjs')], {
      cwd: home,
      env: { CAPPED_HOME: home, OPENAI_BASE_URL: `${listening.url}/v1`, FAKE_WS: '1', FAKE_BODY: body },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(seen).toEqual([{ reserved: 1, settled: 0 }]);
    expect(run.stdout).toContain('response.completed');
    expect(run.record!.spent.requests).toBe(1);
    expect(run.record!.spent.usd).toBeGreaterThan(0);
    expect(run.record!.estimated).toBe(false);
  });
});
