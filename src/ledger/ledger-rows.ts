import { num, numOrNull, str, strOrNull, type Row } from './driver.js';
import type { Phase, RecordedRequest, RunSummary } from './ledger.js';
import type { RunRecord } from './run-record.js';
import { effectiveStatus, type Liveness } from './run-status.js';

/** Columns of `runs` that a summary is read from. */
export const RUN_COLUMNS =
  'id, command, cwd, repo, host, pid, started_at, ended_at, last_at, status, budget, spent_nano, request_count, ' +
  'exceeded_initial_budget, hard_stop_reason, hard_stop_at, breach_cause';

/** Columns of `requests` that a recorded request is read from. */
export const REQUEST_COLUMNS =
  'at, model, provider, phase, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_nano, estimated, retry, reserved, ' +
  'reserved_input_nano, billed_input_nano';

export const iso = (t: number): string => new Date(t).toISOString();

/** A `runs` row as `capped runs` shows it, its status judged by `liveness` at `nowMs`. */
export function summaryOf(row: Row, liveness: Liveness, nowMs: number): RunSummary {
  const lastAt = num(row.last_at);
  const status = effectiveStatus({ status: str(row.status), host: str(row.host), pid: num(row.pid), lastAt }, liveness, nowMs);
  const endedAt = numOrNull(row.ended_at);
  const reason = strOrNull(row.hard_stop_reason);
  const budget = JSON.parse(str(row.budget)) as RunRecord['budget'];
  return {
    id: str(row.id),
    command: JSON.parse(str(row.command)) as string[],
    cwd: str(row.cwd),
    repo: str(row.repo),
    host: str(row.host),
    pid: num(row.pid),
    startedAt: iso(num(row.started_at)),
    endedAt: endedAt !== null ? iso(endedAt) : status === 'aborted' ? iso(lastAt) : null,
    status,
    spentNano: num(row.spent_nano),
    budgetUsd: budget.usd,
    requestCount: num(row.request_count),
    exceededInitialBudget: num(row.exceeded_initial_budget) !== 0,
    hardStop: reason === null ? null : { reason, at: iso(num(row.hard_stop_at)) },
    breachCause: strOrNull(row.breach_cause),
  };
}

/** A `requests` row. */
export function requestOf(row: Row): RecordedRequest {
  return {
    at: iso(num(row.at)),
    model: str(row.model),
    provider: str(row.provider),
    phase: str(row.phase) as Phase,
    tokens: {
      input: num(row.input_tokens),
      output: num(row.output_tokens),
      cacheRead: num(row.cache_read_tokens),
      cacheWrite: num(row.cache_write_tokens),
    },
    costNano: num(row.cost_nano),
    estimated: num(row.estimated) !== 0,
    retry: num(row.retry) !== 0,
    ...(num(row.reserved) !== 0 ? { reserved: true } : {}),
    ...(numOrNull(row.reserved_input_nano) !== null ? { reservedInputNano: num(row.reserved_input_nano) } : {}),
    ...(numOrNull(row.billed_input_nano) !== null ? { billedInputNano: num(row.billed_input_nano) } : {}),
  };
}
