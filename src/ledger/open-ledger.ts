import { DEFAULT_RETENTION_DAYS, type Ledger } from './ledger.js';
import { localLiveness, type Liveness } from './run-status.js';
import { openSqliteLedger } from './sqlite-ledger.js';

export interface OpenLedgerOptions {
  /** A `postgres://` URL selects the team ledger; null or absent, the embedded SQLite file. */
  url?: string | null;
  /** Where the SQLite ledger lives (`dataDir()`: `CAPPED_HOME` or the XDG data directory). */
  dataDir: string;
  /** Runs whose last activity is older are pruned, at most once a day, when opening. Default 30. */
  retentionDays?: number;
  /** Default: the system clock. */
  now?: () => Date;
  /** Default: this host, and `kill(pid, 0)`. */
  liveness?: Liveness;
}

/** Where the ledger URL came from, for messages. */
export type LedgerUrlSource = '--ledger' | 'CAPPED_LEDGER_URL' | 'ledger.url';

/** A ledger URL that is not a PostgreSQL one. */
export class LedgerUrlError extends Error {}

const PG_URL = /^postgres(ql)?:\/\//i;

/**
 * The ledger URL in force: the `--ledger` flag, else `CAPPED_LEDGER_URL`, else the config's
 * `ledger.url`; null for the embedded ledger. Throws `LedgerUrlError` for anything but postgres://.
 */
export function resolveLedgerUrl(flag: string | undefined, env: NodeJS.ProcessEnv, configUrl?: string | null): string | null {
  const candidates: [LedgerUrlSource, string | null | undefined][] = [
    ['--ledger', flag],
    ['CAPPED_LEDGER_URL', env.CAPPED_LEDGER_URL],
    ['ledger.url', configUrl],
  ];
  for (const [source, value] of candidates) {
    if (value === undefined || value === null || value.trim() === '') continue;
    if (!PG_URL.test(value.trim())) {
      throw new LedgerUrlError(`Expected \`${source}\` to be a PostgreSQL URL like postgres://user@host/db, got \`${value.replace(/:[^:@/]*@/, ':***@')}\`.`);
    }
    return value.trim();
  }
  return null;
}

/**
 * Opens the ledger the options select, brings its schema up to date, and prunes old runs when the
 * last prune is a day old. PostgreSQL's driver is loaded only when a URL asks for it, SQLite's
 * only when the ledger is the local one (sqlite-ledger.ts requires it on its first open).
 */
export async function openLedger(opts: OpenLedgerOptions): Promise<Ledger> {
  const common = { now: opts.now ?? (() => new Date()), liveness: opts.liveness ?? localLiveness() };
  const url = opts.url?.trim() ? opts.url.trim() : null;
  if (url !== null && !PG_URL.test(url)) throw new LedgerUrlError(`Expected the ledger URL to be a PostgreSQL URL like postgres://user@host/db.`);
  const ledger = url === null ? await openSqliteLedger(opts.dataDir, common) : await (await import('./pg-ledger.js')).openPgLedger(url, common);
  try {
    await ledger.pruneIfDue(opts.retentionDays ?? DEFAULT_RETENTION_DAYS);
  } catch {
    // Housekeeping only: a prune that fails (say, the file is busy) is tried at the next open.
  }
  return ledger;
}
