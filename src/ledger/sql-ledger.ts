import { nanoToUsd, usdToNano, type Nano } from '../budget/money.js';
import { num, str, strOrNull, type Driver, type Row, type SqlValue, type Statement } from './driver.js';
import type {
  ApprovalEntry,
  KnownRow,
  Ledger,
  ListRunsQuery,
  ReportQuery,
  RequestEntry,
  RunDetail,
  RunStart,
  RunSummary,
  SpentRun,
  WindowHold,
  WindowSpend,
} from './ledger.js';
import { approvalExceedsEnvelope, rebuildRecord } from './rebuild-record.js';
import { computeReport, type Report, type ReportInput } from './report.js';
import type { RunRecord } from './run-record.js';
import { iso, REQUEST_COLUMNS, requestOf, RUN_COLUMNS, summaryOf } from './ledger-rows.js';
import type { Liveness } from './run-status.js';

export interface SqlLedgerOptions {
  backend: Ledger['backend'];
  location: string;
  liveness: Liveness;
  now: () => Date;
}

/** Thrown for a write about a run the ledger has no row for (startRun was not called). */
export class UnknownRunError extends Error {
  constructor(readonly runId: string) {
    super(`The ledger has no run \`${runId}\`.`);
  }
}

function ms(iso: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`Expected an ISO time, got \`${iso}\`.`);
  return t;
}

const flag = (b: boolean): number => (b ? 1 : 0);

/**
 * A request row counts in a window unless its window hold is still live: the hold then counts it
 * (at its worst case), so a request in flight is counted once. Binds one `?`: now.
 */
const UNHELD = 'NOT EXISTS (SELECT 1 FROM window_holds h WHERE h.id = r.hold_id AND h.expires_at > CAST(? AS BIGINT))';

/** The advisory lock PostgreSQL takes while checking a window hold (any fixed number of ours). */
const WINDOW_LOCK = 0x63617070;

/** A settle whose reservation row was not found: recordRequest then writes the row the general way. */
class NoRowError extends Error {}

/** The columns a request row's values fill, in REQUEST_COLUMNS order. */
function requestValues(row: RequestEntry): SqlValue[] {
  return [
    ms(row.at),
    row.model,
    row.provider,
    row.phase,
    row.tokens.input,
    row.tokens.output,
    row.tokens.cacheRead,
    row.tokens.cacheWrite,
    row.costNano,
    flag(row.estimated),
    flag(row.retry),
    flag(row.reserved ?? false),
    row.reservedInputNano ?? null,
    row.billedInputNano ?? null,
  ];
}

const INSERT_REQUEST = `INSERT INTO requests (run_id, ${REQUEST_COLUMNS}, request_key, hold_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function requestInsert(row: RequestEntry): Statement {
  return { sql: INSERT_REQUEST, params: [row.runId, ...requestValues(row), row.key ?? null, row.holdId ?? null] };
}

const SETTLE_REQUEST = `UPDATE requests SET ${REQUEST_COLUMNS.split(', ')
  .map((c) => `${c} = ?`)
  .join(', ')}, hold_id = ? WHERE run_id = ? AND request_key = ?`;

/** Request `key`'s reservation row, rewritten in place as `row` (issue 11: no delete and insert). */
function requestSettled(row: RequestEntry, key: string): Statement {
  return { sql: SETTLE_REQUEST, params: [...requestValues(row), row.holdId ?? null, row.runId, key], orElse: () => new NoRowError() };
}

const LAST_AT = 'last_at = CASE WHEN last_at < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE last_at END';
const CHARGE_NEW = `UPDATE runs SET spent_nano = spent_nano + CAST(? AS BIGINT), request_count = request_count + 1, ${LAST_AT} WHERE id = ?`;
const CHARGE_SETTLED = `UPDATE runs SET spent_nano = spent_nano + CAST(? AS BIGINT) - (SELECT COALESCE(SUM(cost_nano), 0) FROM requests WHERE run_id = ? AND request_key = ?), ${LAST_AT} WHERE id = ?`;

/** The run's totals for a new request: its cost and one more request. */
function runChargedNew(row: RequestEntry): Statement {
  const at = ms(row.at);
  return { sql: CHARGE_NEW, params: [row.costNano, at, at, row.runId], orElse: () => new UnknownRunError(row.runId) };
}

/** The run's totals for a settled request: its cost replaces its reservation row's (read before that row is rewritten). */
function runChargedSettled(row: RequestEntry, key: string): Statement {
  const at = ms(row.at);
  return { sql: CHARGE_SETTLED, params: [row.costNano, row.runId, key, at, at, row.runId], orElse: () => new UnknownRunError(row.runId) };
}

/**
 * The ledger over any `Driver`: every query is written once, in SQL that SQLite and PostgreSQL
 * both run. The backends differ only in how they connect, lock, and run a transaction.
 */
export class SqlLedger implements Ledger {
  readonly backend: Ledger['backend'];
  readonly location: string;

  constructor(
    private readonly db: Driver,
    private readonly opts: SqlLedgerOptions,
  ) {
    this.backend = opts.backend;
    this.location = opts.location;
  }

  async startRun(run: RunStart): Promise<void> {
    const started = ms(run.startedAt);
    await this.db.write([
      {
        sql:
          'INSERT INTO runs (id, command, cwd, repo, host, pid, started_at, last_at, status, budget, policy) ' +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)",
        params: [
          run.id,
          JSON.stringify(run.command),
          run.cwd,
          run.repo,
          run.host,
          run.pid,
          started,
          started,
          JSON.stringify(run.budget),
          JSON.stringify(run.policy),
        ],
      },
    ]);
  }

  async recordRequest(row: RequestEntry, known?: KnownRow): Promise<void> {
    if (known === 'new' && row.key !== undefined) {
      await this.db.write([runChargedNew(row), requestInsert(row)]);
      return;
    }
    if (known === 'reserved' && row.key !== undefined) {
      try {
        await this.db.write([runChargedSettled(row, row.key), requestSettled(row, row.key)]);
        return;
      } catch (err) {
        // Its reservation row is not there after all: the general way below writes it whole.
        if (!(err instanceof NoRowError)) throw err;
      }
    }
    const at = ms(row.at);
    const key = row.key ?? null;
    // A row already written for this request (its reservation) is replaced: the run's totals
    // move by the difference, and its request count stays.
    const earlier = 'FROM requests WHERE run_id = ? AND request_key = ?';
    await this.db.write([
      {
        sql:
          `UPDATE runs SET spent_nano = spent_nano + CAST(? AS BIGINT) - (SELECT COALESCE(SUM(cost_nano), 0) ${earlier}), ` +
          `request_count = request_count + 1 - (SELECT COUNT(*) ${earlier}), ` +
          'last_at = CASE WHEN last_at < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE last_at END WHERE id = ?',
        params: [row.costNano, row.runId, key, row.runId, key, at, at, row.runId],
        orElse: () => new UnknownRunError(row.runId),
      },
      { sql: `DELETE ${earlier}`, params: [row.runId, key] },
      requestInsert(row),
    ]);
  }

  async dropRequest(runId: string, key: string): Promise<void> {
    const reservation = 'FROM requests WHERE run_id = ? AND request_key = ? AND reserved = 1';
    await this.db.write([
      {
        sql:
          `UPDATE runs SET spent_nano = spent_nano - (SELECT COALESCE(SUM(cost_nano), 0) ${reservation}), ` +
          `request_count = request_count - (SELECT COUNT(*) ${reservation}) WHERE id = ?`,
        params: [runId, key, runId, key, runId],
      },
      { sql: `DELETE ${reservation}`, params: [runId, key] },
    ]);
  }

  async recordApproval(row: ApprovalEntry): Promise<void> {
    const at = ms(row.at);
    await this.db.write([
      {
        sql:
          'UPDATE runs SET exceeded_initial_budget = CASE WHEN CAST(? AS INTEGER) = 1 THEN 1 ELSE exceeded_initial_budget END, ' +
          'last_at = CASE WHEN last_at < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE last_at END WHERE id = ?',
        params: [flag(approvalExceedsEnvelope(row)), at, at, row.runId],
        orElse: () => new UnknownRunError(row.runId),
      },
      approvalInsert(row.runId, row),
    ]);
  }

  async recordHardStop(runId: string, reason: string, at: string): Promise<void> {
    const t = ms(at);
    await this.db.write([
      {
        sql:
          'UPDATE runs SET hard_stop_reason = COALESCE(hard_stop_reason, ?), hard_stop_at = COALESCE(hard_stop_at, CAST(? AS BIGINT)), ' +
          'exceeded_initial_budget = 1, last_at = CASE WHEN last_at < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE last_at END WHERE id = ?',
        params: [reason, t, t, t, runId],
        orElse: () => new UnknownRunError(runId),
      },
    ]);
  }

  async finishRun(record: RunRecord, spentNano?: Nano): Promise<void> {
    const ended = ms(record.endedAt);
    await this.db.write([
      {
        sql:
          "UPDATE runs SET status = 'finished', ended_at = ?, last_at = CASE WHEN last_at < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE last_at END, " +
          'record = ?, spent_nano = ?, request_count = ?, exceeded_initial_budget = ?, hard_stop_reason = ?, hard_stop_at = ?, breach_cause = ? WHERE id = ?',
        // `budget` keeps what startRun stored: the initial envelope.
        params: [
          ended,
          ended,
          ended,
          JSON.stringify(record),
          spentNano ?? usdToNano(record.spent.usd),
          record.spent.requests,
          flag(record.exceededInitialBudget),
          record.hardStop?.reason ?? null,
          record.hardStop ? ms(record.hardStop.at) : null,
          record.breachCause ?? null,
          record.id,
        ],
        orElse: () => new UnknownRunError(record.id),
      },
      // The record is the authority on its approvals: replace what was written as the run went.
      { sql: 'DELETE FROM approvals WHERE run_id = ?', params: [record.id] },
      ...record.approvals.map((a) => approvalInsert(record.id, a)),
    ]);
  }

  async listRuns(query: ListRunsQuery): Promise<RunSummary[]> {
    const repo = query.repo === undefined ? '' : ' AND repo = ?';
    const params = query.repo === undefined ? [query.since.getTime()] : [query.since.getTime(), query.repo];
    const rows = await this.db.all(`SELECT ${RUN_COLUMNS} FROM runs WHERE started_at >= ?${repo} ORDER BY started_at DESC, id DESC`, params);
    const now = this.opts.now().getTime();
    return rows.map((row) => this.summary(row, now));
  }

  async repoSpend(query: { since: Date; repo: string }): Promise<SpentRun[]> {
    // 'finished' is final whatever became of capped: no liveness check, as a 'running' row needs.
    const rows = await this.db.all(
      "SELECT command, spent_nano, request_count FROM runs WHERE started_at >= ? AND repo = ? AND status = 'finished' AND request_count > 0",
      [query.since.getTime(), query.repo],
    );
    return rows.map((row) => ({ command: JSON.parse(str(row.command)) as string[], spentNano: num(row.spent_nano), requestCount: num(row.request_count) }));
  }

  async getRun(id: string): Promise<RunDetail | null> {
    const [row] = await this.db.all(`SELECT ${RUN_COLUMNS}, policy, record FROM runs WHERE id = ?`, [id]);
    if (!row) return null;
    const requestRows = await this.db.all(`SELECT ${REQUEST_COLUMNS} FROM requests WHERE run_id = ? ORDER BY id`, [id]);
    const requests = requestRows.map(requestOf);
    const summary = this.summary(row, this.opts.now().getTime());
    const stored = strOrNull(row.record);
    let record: RunRecord;
    if (stored !== null) {
      record = JSON.parse(stored) as RunRecord;
    } else {
      const approvalRows = await this.db.all('SELECT kind, at, answer, from_nano, to_nano, model FROM approvals WHERE run_id = ? ORDER BY id', [id]);
      record = rebuildRecord(
        {
          id: summary.id,
          command: summary.command,
          cwd: summary.cwd,
          startedAt: summary.startedAt,
          lastAt: iso(num(row.last_at)),
          budget: JSON.parse(str(row.budget)) as RunRecord['budget'],
          policy: JSON.parse(str(row.policy)) as RunRecord['policy'],
          hardStop: summary.hardStop,
        },
        requests,
        approvalRows.map((a) => {
          const model = strOrNull(a.model);
          const amounts = { from: nanoToUsd(num(a.from_nano)), to: nanoToUsd(num(a.to_nano)) };
          return { kind: str(a.kind), at: iso(num(a.at)), answer: str(a.answer), ...amounts, ...(model === null ? {} : { model }) };
        }),
      );
    }
    return { ...summary, record, requests };
  }

  async report(query: ReportQuery): Promise<Report> {
    return computeReport(await this.reportInput(query));
  }

  async reportInput(query: ReportQuery): Promise<ReportInput> {
    const since = query.since.getTime();
    const now = query.now.getTime();
    const previousSince = since - (now - since);
    const runRows = await this.db.all(`SELECT ${RUN_COLUMNS} FROM runs WHERE started_at >= ? AND started_at < ?`, [previousSince, now]);
    const ofPeriod = 'JOIN runs u ON u.id = x.run_id WHERE u.started_at >= ? AND u.started_at < ?';
    const requestRows = await this.db.all(`SELECT x.run_id, x.at, x.model, x.phase, x.cost_nano FROM requests x ${ofPeriod}`, [since, now]);
    const approvalRows = await this.db.all(`SELECT x.run_id, x.kind, x.answer FROM approvals x ${ofPeriod}`, [since, now]);
    return {
      since: query.since,
      now: query.now,
      ...(query.timeZone === undefined ? {} : { timeZone: query.timeZone }),
      runs: runRows.map((row) => {
        const s = this.summary(row, now);
        return {
          id: s.id,
          command: s.command,
          repo: s.repo,
          startedAt: s.startedAt,
          status: s.status,
          spentNano: num(row.spent_nano),
          budgetUsd: s.budgetUsd,
          exceededInitialBudget: s.exceededInitialBudget,
          hardStopReason: s.hardStop?.reason ?? null,
          breachCause: s.breachCause,
          verifyUsd: (JSON.parse(str(row.budget)) as RunRecord['budget']).verifyUsd,
        };
      }),
      requests: requestRows.map((q) => ({ runId: str(q.run_id), at: iso(num(q.at)), model: str(q.model), phase: str(q.phase), costNano: num(q.cost_nano) })),
      approvals: approvalRows.map((a) => ({ runId: str(a.run_id), kind: str(a.kind), answer: str(a.answer) })),
    };
  }

  async prune(olderThan: Date): Promise<number> {
    const cutoff = olderThan.getTime();
    const old = 'SELECT id FROM runs WHERE COALESCE(ended_at, last_at) < ?';
    const changed = await this.db.write([
      { sql: `DELETE FROM requests WHERE run_id IN (${old})`, params: [cutoff] },
      { sql: `DELETE FROM approvals WHERE run_id IN (${old})`, params: [cutoff] },
      { sql: 'DELETE FROM runs WHERE COALESCE(ended_at, last_at) < ?', params: [cutoff] },
    ]);
    return changed[2] ?? 0;
  }

  /** Prunes runs older than `retentionDays` unless that was done less than a day ago. */
  async pruneIfDue(retentionDays: number): Promise<number | null> {
    const now = this.opts.now().getTime();
    const [row] = await this.db.all("SELECT value FROM meta WHERE key = 'pruned_at'");
    if (row && now - Number(row.value) < 86_400_000) return null;
    const pruned = await this.prune(new Date(now - retentionDays * 86_400_000));
    await this.db.write([
      {
        sql: "INSERT INTO meta (key, value) VALUES ('pruned_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params: [String(now)],
      },
    ]);
    return pruned;
  }

  async windowSpend(query: { since: Date }): Promise<WindowSpend> {
    const [row] = await this.db.all(`SELECT COALESCE(SUM(cost_nano), 0) AS nano, COUNT(*) AS n FROM requests r WHERE at >= ? AND ${UNHELD}`, [
      query.since.getTime(),
      this.opts.now().getTime(),
    ]);
    const nano = num(row?.nano);
    return { nano, usd: nanoToUsd(nano), requests: num(row?.n) };
  }

  async holdWindow(hold: WindowHold): Promise<boolean> {
    const now = ms(hold.at);
    const conditions = hold.windows.map(
      () =>
        `(SELECT COALESCE(SUM(cost_nano), 0) FROM requests r WHERE at >= CAST(? AS BIGINT) AND ${UNHELD}) + ` +
        '(SELECT COALESCE(SUM(nano), 0) FROM window_holds WHERE expires_at > CAST(? AS BIGINT)) + CAST(? AS BIGINT) <= CAST(? AS BIGINT)',
    );
    const params = hold.windows.flatMap((w) => [w.since.getTime(), now, now, hold.nano, w.ceilingNano]);
    const statements: Statement[] = [
      { sql: 'DELETE FROM window_holds WHERE expires_at <= ?', params: [now] },
      {
        sql:
          'INSERT INTO window_holds (id, run_id, at, nano, expires_at) ' +
          'SELECT ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)' +
          (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''),
        params: [hold.id, hold.runId, now, hold.nano, ms(hold.expiresAt), ...params],
      },
    ];
    // SQLite serializes writers (BEGIN IMMEDIATE); PostgreSQL needs a lock so two runs checking at
    // once cannot both see room for their hold.
    if (this.db.dialect === 'postgres') statements.unshift({ sql: 'SELECT pg_advisory_xact_lock(?)', params: [WINDOW_LOCK] });
    const changed = await this.db.write(statements);
    return changed[changed.length - 1] === 1;
  }

  async releaseHold(id: string): Promise<void> {
    await this.db.write([{ sql: 'DELETE FROM window_holds WHERE id = ?', params: [id] }]);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private summary(row: Row, nowMs: number): RunSummary {
    return summaryOf(row, this.opts.liveness, nowMs);
  }
}

function approvalInsert(runId: string, a: Omit<ApprovalEntry, 'runId'>): Statement {
  return {
    sql: 'INSERT INTO approvals (run_id, kind, at, answer, from_nano, to_nano, model) VALUES (?, ?, ?, ?, ?, ?, ?)',
    params: [runId, a.kind, ms(a.at), a.answer, a.fromNano ?? usdToNano(a.from), a.toNano ?? usdToNano(a.to), a.model ?? null],
  };
}
