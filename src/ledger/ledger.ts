import type { Nano } from '../budget/money.js';
import type { Report, ReportInput } from './report.js';
import type { RunRecord } from './run-record.js';
import type { RunStatus } from './run-status.js';

export type { RunStatus };

/**
 * The ledger server could not be reached, or refused the login. Defined here, not with the
 * PostgreSQL ledger, so that commands can recognise it without loading the driver.
 */
export class LedgerUnavailableError extends Error {}

/**
 * The durable run ledger: SQLite on one machine, PostgreSQL for a team. Every method is async so
 * both backends share it; the SQLite one has already written when a write method returns its
 * promise. Nothing here carries prompt text or API keys, and nothing may be added that does.
 */
export interface Ledger {
  /** `sqlite` (a file in the data directory) or `postgres` (a shared server). */
  readonly backend: 'sqlite' | 'postgres';
  /** Where it is, for messages: the file path, or the server URL without its password. */
  readonly location: string;
  /** Records a run as `running`, before its first request. */
  startRun(run: RunStart): Promise<void>;
  /**
   * Records one priced request of a running run (every settled request, estimates included). With
   * a `key`, the row of that request is replaced if there is one: a reservation written before
   * the request was forwarded becomes its settled cost, so each request is counted once.
   */
  recordRequest(row: RequestEntry, known?: KnownRow): Promise<void>;
  /** Removes a reservation whose request ended without a charge (never sent, or refused upstream). */
  dropRequest(runId: string, key: string): Promise<void>;
  /** Records a question put at a limit or an escalation, and its answer. */
  recordApproval(row: ApprovalEntry): Promise<void>;
  /** Records that the run was stopped at a limit (the first hard stop of a run is kept). */
  recordHardStop(runId: string, reason: string, at: string): Promise<void>;
  /**
   * Stores the final record; the run becomes `finished` and the record is the authority on it.
   * `spentNano` is the engine's own total, stored as is; without it the total is converted from
   * the record's dollars (exact below $2M, but a float round trip all the same).
   */
  finishRun(record: RunRecord, spentNano?: Nano): Promise<void>;
  /** Runs started at or after `since`, newest first; `repo` keeps only that repository's. */
  listRuns(query: ListRunsQuery): Promise<RunSummary[]>;
  /**
   * What the finished runs of `repo` started at or after `since` spent, those that made at least
   * one request: the history a run starts with, read without building whole summaries (a busy
   * repository has hundreds of runs a month, and this is read before every agent starts).
   */
  repoSpend(query: { since: Date; repo: string }): Promise<SpentRun[]>;
  /** One run with its record (rebuilt from its requests when it never finished) and requests. */
  getRun(id: string): Promise<RunDetail | null>;
  /** The review figures for runs started in [since, now), with the period before for the trend. */
  report(query: ReportQuery): Promise<Report>;
  /** The rows `report` is computed from (also what `capped report --suggest` reads). */
  reportInput(query: ReportQuery): Promise<ReportInput>;
  /** Deletes runs whose last activity is before `olderThan`, with their requests; returns how many. */
  prune(olderThan: Date): Promise<number>;
  /** Spend across all runs of the ledger from requests made at or after `since` (windowed caps). */
  windowSpend(query: { since: Date }): Promise<WindowSpend>;
  /**
   * Reserves `nano` against the window ceilings, atomically across every run sharing the ledger:
   * true when spend since each window's start, plus every live hold, plus this one stays within
   * its ceiling; false (nothing written) otherwise. A hold lives until released or `expiresAt`.
   */
  holdWindow(hold: WindowHold): Promise<boolean>;
  /** Removes a hold (its request settled, and its cost is now in `requests`, or it was dropped). */
  releaseHold(id: string): Promise<void>;
  /** Waits for pending writes and releases the file or the connections. */
  close(): Promise<void>;
}

/**
 * What the caller knows the ledger holds for a request's `key`, so that recordRequest need not
 * look: `new`, nothing yet (a reservation, written once); `reserved`, its reservation row (settled
 * in place, or written the general way if it is missing after all). Either gives what no hint gives;
 * they spare a delete and an insert on every request (issue 11).
 */
export type KnownRow = 'new' | 'reserved';

export type Phase = 'implementation' | 'verification';

/** What is known of a run when it starts. */
export interface RunStart {
  id: string;
  command: readonly string[];
  cwd: string;
  /** The git toplevel of `cwd` when there is one, else `cwd` (see `repoOf`). */
  repo: string;
  /** `os.hostname()` of the machine running capped. */
  host: string;
  /** capped's own pid: a `running` run whose pid is gone on this host is shown as aborted. */
  pid: number;
  startedAt: string;
  budget: RunRecord['budget'];
  policy: RunRecord['policy'];
}

export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** One priced request as the ledger keeps it. */
export interface RequestEntry {
  runId: string;
  at: string;
  model: string;
  /** The provider module that read it: `anthropic`, `openai-chat`, `openai-responses`, `gemini`. */
  provider: string;
  phase: Phase;
  tokens: TokenCounts;
  costNano: Nano;
  /** Charged by an estimate because the usage could not be read. */
  estimated: boolean;
  /** The agent sent it again after a failure. */
  retry: boolean;
  /** The request's id within its run, so its reservation row can be settled or dropped later. */
  key?: string;
  /**
   * Still only reserved: charged at its worst case because it has not settled (yet). A run killed
   * mid-request keeps this row, so the request stays charged and in the daily/weekly windows.
   */
  reserved?: boolean;
  /** The window hold taken for this request: while that hold lives, it counts the request instead. */
  holdId?: string;
  /** What its input was reserved at before it was sent, and what it was billed at. */
  reservedInputNano?: Nano;
  billedInputNano?: Nano;
}

/** One approval, as in the run record's `approvals`, for run `runId`. */
export interface ApprovalEntry {
  runId: string;
  kind: string;
  at: string;
  /** `approved`, `denied` or `automatic` (decided by policy, nobody was asked). */
  answer: string;
  /** Dollar ceiling before and after, as the run record has them. */
  from: number;
  to: number;
  /** The same in nano-dollars, as the engine has them: stored as given (else converted from dollars). */
  fromNano?: Nano;
  toNano?: Nano;
  /** The model the question was about (escalation, downgrade). */
  model?: string;
}

export interface ListRunsQuery {
  since: Date;
  repo?: string;
}

export interface ReportQuery {
  since: Date;
  now: Date;
  /** IANA time zone that days are counted in (default: UTC). */
  timeZone?: string;
}

/** A finished run's spend, for the history of what a repository's runs cost. */
export type SpentRun = Pick<RunSummary, 'command' | 'spentNano' | 'requestCount'>;

/** A run as `capped runs` lists it. */
export interface RunSummary {
  id: string;
  command: string[];
  cwd: string;
  repo: string;
  host: string;
  pid: number;
  startedAt: string;
  /** When it finished; for an aborted run its last recorded activity; null while running. */
  endedAt: string | null;
  status: RunStatus;
  /** In nano-dollars; `capped runs --json` prints it as `spentUsd` (runs-json.ts). */
  spentNano: Nano;
  /** The budget it started with (its initial envelope). */
  budgetUsd: number | null;
  requestCount: number;
  exceededInitialBudget: boolean;
  hardStop: { reason: string; at: string } | null;
  /** The primary cause stored when it finished (breach-cause.ts); null within budget or unfinished. */
  breachCause: string | null;
}

/** A recorded request as `capped runs show` prints it. */
export type RecordedRequest = Omit<RequestEntry, 'runId' | 'key' | 'holdId'>;

export interface RunDetail extends RunSummary {
  record: RunRecord;
  requests: RecordedRequest[];
}

export interface WindowSpend {
  nano: Nano;
  usd: number;
  requests: number;
}

/** Runs older than this many days are pruned (at most once a day, when a ledger is opened). */
export const DEFAULT_RETENTION_DAYS = 30;

/** One request's reservation against the daily/weekly ceilings shared by every run. */
export interface WindowHold {
  id: string;
  runId: string;
  at: string;
  nano: Nano;
  expiresAt: string;
  /** Each window: its start and its ceiling. */
  windows: readonly { since: Date; ceilingNano: Nano }[];
}
