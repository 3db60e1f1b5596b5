import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The ledger tests run against a real PostgreSQL. `.ci/run` starts one; a plain `npm test` on a
 * developer machine starts the same throwaway server here, so the README's test command needs
 * nothing else.
 */
export default function setup(): void {
  if (process.env.CAPPED_TEST_PG_URL) return;
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.ci/start-postgres.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const match = /CAPPED_TEST_PG_URL=(\S+)/.exec(out);
  if (!match) throw new Error(`.ci/start-postgres.sh printed no CAPPED_TEST_PG_URL:\n${out}`);
  process.env.CAPPED_TEST_PG_URL = match[1];
}
