import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCapped } from './helpers/run-capped.js';

/** `capped doctor` from the built CLI: real PTY, real ledgers, agents found on a PATH we control. */
const bins: string[] = [];
afterEach(() => {
  for (const dir of bins.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('capped doctor', () => {
  // Only node and a fake `claude` on PATH, so the real agents in node_modules/.bin are not picked up.
  function pathWithFakeClaude(): string {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-doctor-bin-'));
    bins.push(bin);
    fs.writeFileSync(path.join(bin, 'claude'), '#!/bin/sh\necho "2.1.197 (Claude Code)"\n', { mode: 0o755 });
    return [bin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter);
  }

  it('exits 0 here: a PTY opens, the SQLite ledger opens, a found agent shows its version', async () => {
    const r = await runCapped(['doctor'], { env: { PATH: pathWithFakeClaude() } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ {2}ok +terminal +a pseudo-terminal can be opened/m);
    expect(r.stdout).toMatch(new RegExp(`^  ok +ledger +SQLite at ${path.join(r.home, 'ledger.db')} `, 'm'));
    expect(r.stdout).toMatch(/^ {2}ok +agent claude +Claude Code 2\.1\.197 \(Claude Code\) at /m);
    expect(r.stdout).toMatch(/^ {2}info +agent codex +Codex CLI not found on PATH/m);
    expect(r.stdout).toContain('All checks passed.');
  });

  it('checks a PostgreSQL ledger, and exits 1 with one capped: line when it cannot be reached', async () => {
    const pg = process.env.CAPPED_TEST_PG_URL;
    if (!pg) throw new Error('CAPPED_TEST_PG_URL is not set (the global setup starts the server)');
    const ok = await runCapped(['doctor'], { env: { PATH: pathWithFakeClaude(), CAPPED_LEDGER_URL: pg } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ {2}ok +ledger +PostgreSQL at postgres:\/\//m);

    const down = await runCapped(['doctor'], { env: { PATH: pathWithFakeClaude(), CAPPED_LEDGER_URL: 'postgres://capped@127.0.0.1:1/nothing' } });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe('capped: ledger: Could not open the ledger at postgres://capped@127.0.0.1:1/nothing: connect ECONNREFUSED 127.0.0.1:1\n');
    expect(down.stdout).not.toContain('All checks passed');
  });
});
