import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { num, numberPlaceholders } from '../../../src/ledger/driver.js';
import { parseDuration, spanText } from '../../../src/ledger/duration.js';
import { MIGRATIONS, migrationStatements } from '../../../src/ledger/migrations.js';
import { LedgerUrlError, openLedger, resolveLedgerUrl } from '../../../src/ledger/open-ledger.js';
import { redactUrl } from '../../../src/ledger/pg-ledger.js';
import { repoOf } from '../../../src/ledger/repo-root.js';
import { effectiveStatus, pidIsAlive } from '../../../src/ledger/run-status.js';

describe('parseDuration', () => {
  it('reads minutes, hours, days and weeks', () => {
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration(' 2W ')).toBe(14 * 86_400_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'x', '7', 'd', '0d', '-1d', '1.5d', '7 days', '1y', '99999999999999999d']) expect(parseDuration(bad), bad).toBeNull();
  });

  it('names spans for headings', () => {
    expect(spanText(7 * 86_400_000)).toBe('7 days');
    expect(spanText(86_400_000)).toBe('1 day');
    expect(spanText(36 * 3_600_000)).toBe('36 hours');
    expect(spanText(90 * 60_000)).toBe('90 minutes');
  });
});

describe('effectiveStatus', () => {
  const liveness = { host: 'here', isAlive: (pid: number) => pid === 1 };
  const DAY = 86_400_000;

  it('believes a finished run', () => {
    expect(effectiveStatus({ status: 'finished', host: 'here', pid: 2, lastAt: 0 }, liveness, 10 * DAY)).toBe('finished');
  });

  it('on this host, asks whether the pid is alive', () => {
    expect(effectiveStatus({ status: 'running', host: 'here', pid: 1, lastAt: 0 }, liveness, 10 * DAY)).toBe('running');
    expect(effectiveStatus({ status: 'running', host: 'here', pid: 2, lastAt: 0 }, liveness, 0)).toBe('aborted');
  });

  it('on another host, waits a day of silence', () => {
    expect(effectiveStatus({ status: 'running', host: 'there', pid: 2, lastAt: 0 }, liveness, DAY)).toBe('running');
    expect(effectiveStatus({ status: 'running', host: 'there', pid: 2, lastAt: 0 }, liveness, DAY + 1)).toBe('aborted');
  });

  it('tells a live pid from a gone one', () => {
    expect(pidIsAlive(process.pid)).toBe(true);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(pidIsAlive(gone)).toBe(false);
    expect(pidIsAlive(0)).toBe(false);
    expect(pidIsAlive(-5)).toBe(false);
  });
});

describe('repoOf', () => {
  it('finds the nearest .git above, directory or file, else keeps the directory', () => {
    const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-repo-')));
    try {
      fs.mkdirSync(path.join(tmp, 'app/.git'), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'app/src/deep'), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'app/worktree/src'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'app/worktree/.git'), 'gitdir: ../.git/worktrees/w\n');
      fs.mkdirSync(path.join(tmp, 'loose/dir'), { recursive: true });
      expect(repoOf(path.join(tmp, 'app/src/deep'))).toBe(path.join(tmp, 'app'));
      expect(repoOf(path.join(tmp, 'app'))).toBe(path.join(tmp, 'app'));
      expect(repoOf(path.join(tmp, 'app/worktree/src'))).toBe(path.join(tmp, 'app/worktree'));
      // (assumes no .git above the temp directory)
      expect(repoOf(path.join(tmp, 'loose/dir'))).toBe(path.join(tmp, 'loose/dir'));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('migrations', () => {
  // Version 5 lands from another branch; once both are in, the numbers are 1, 2, 3… again
  // (the lead restores `i + 1` here after merging it).
  it('are numbered 1, 2, 3… with no gap (the runner applies each step above the stored version)', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('render each dialect’s auto-numbered key and nothing else differently', () => {
    const sqlite = migrationStatements(MIGRATIONS[0]!, 'sqlite');
    const postgres = migrationStatements(MIGRATIONS[0]!, 'postgres');
    expect(sqlite).toHaveLength(postgres.length);
    expect(sqlite.some((s) => s.includes('id INTEGER PRIMARY KEY'))).toBe(true);
    expect(postgres.some((s) => s.includes('id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'))).toBe(true);
    const neutral = (s: string): string => s.replace('INTEGER PRIMARY KEY', 'KEY').replace('BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY', 'KEY');
    expect(sqlite.map(neutral)).toEqual(postgres.map(neutral));
    expect(sqlite.every((s) => !s.includes('{{'))).toBe(true);
  });
});

describe('driver helpers', () => {
  it('numbers placeholders for PostgreSQL', () => {
    expect(numberPlaceholders('SELECT ? + ?, x FROM t WHERE a = ?')).toBe('SELECT $1 + $2, x FROM t WHERE a = $3');
  });

  it('reads numbers PostgreSQL sends as text', () => {
    expect(num('12345678901234')).toBe(12_345_678_901_234);
    expect(num(7)).toBe(7);
    expect(num(null)).toBe(0);
  });
});

describe('resolveLedgerUrl', () => {
  const pgUrl = 'postgres://team@db.internal/capped';

  it('takes the flag, then CAPPED_LEDGER_URL, then config, else the embedded ledger', () => {
    expect(resolveLedgerUrl(pgUrl, { CAPPED_LEDGER_URL: 'postgresql://b/x' }, 'postgres://c/x')).toBe(pgUrl);
    expect(resolveLedgerUrl(undefined, { CAPPED_LEDGER_URL: 'postgresql://b/x' }, 'postgres://c/x')).toBe('postgresql://b/x');
    expect(resolveLedgerUrl(undefined, { CAPPED_LEDGER_URL: '' }, 'postgres://c/x')).toBe('postgres://c/x');
    expect(resolveLedgerUrl(undefined, {}, null)).toBeNull();
    expect(resolveLedgerUrl(undefined, {})).toBeNull();
  });

  it('names the setting that is not a PostgreSQL URL, without its password', () => {
    expect(() => resolveLedgerUrl('mysql://u:hunter2@h/db', {})).toThrow(
      new LedgerUrlError('Expected `--ledger` to be a PostgreSQL URL like postgres://user@host/db, got `mysql://u:***@h/db`.'),
    );
    expect(() => resolveLedgerUrl(undefined, { CAPPED_LEDGER_URL: '/tmp/x.db' })).toThrow('Expected `CAPPED_LEDGER_URL` to be');
    expect(() => resolveLedgerUrl(undefined, {}, 'sqlite:x')).toThrow('Expected `ledger.url` to be');
  });

  it('redacts the password of a server URL for messages', () => {
    expect(redactUrl('postgres://u:secret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
  });

  it('openLedger refuses what is not a PostgreSQL URL', async () => {
    await expect(openLedger({ url: 'http://x', dataDir: '/nonexistent' })).rejects.toThrow(LedgerUrlError);
  });

  it('openLedger says which server it could not reach, without the password', async () => {
    const err = await openLedger({ url: 'postgres://u:hunter2@127.0.0.1:1/db', dataDir: '/nonexistent' }).catch((e: unknown) => e as Error);
    expect((err as Error).message).toMatch(/^Could not open the ledger at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db: .*ECONNREFUSED/);
    expect((err as Error).message).not.toContain('hunter2');
  });
});
