/**
 * The HTML pages' commands: `capped report --html`, `capped runs show <id> --html` and
 * `capped run --summary-html`. Loaded by dynamic import only when one of those flags is given.
 */
import fs from 'node:fs';
import path from 'node:path';
import { usdToNano } from '../budget/money.js';
import { UsageError } from '../errors.js';
import type { Ledger, RunDetail } from '../ledger/ledger.js';
import { LocalPathError } from '../config/local-path.js';
import type { RunRecord } from '../ledger/run-record.js';
import { TOP_RUNS } from '../ledger/report.js';
import { reviewPage, runPage } from './page.js';
import { reviewData, type ReviewData } from './review-data.js';

/**
 * Checks before any work that the page can be written to `file` (`-` is stdout, returned as null):
 * its directory exists and is writable, and the file, if there, is a writable file. Errors say how
 * to fix it. Unlike `--record`, the directory is not created: a mistyped path should not be.
 */
export function htmlTarget(file: string, cwd: string, what: string): string | null {
  if (file === '-') return null;
  const target = path.resolve(cwd, file);
  const dir = path.dirname(target);
  const fail = (problem: string): never => {
    throw new LocalPathError(what, target, problem);
  };
  let dirStats: fs.Stats | null = null;
  try {
    dirStats = fs.statSync(dir);
  } catch {
    fail(`its directory ${dir} does not exist; create it (mkdir -p ${dir}) or choose another path, or \`-\` for stdout`);
  }
  if (!dirStats!.isDirectory()) fail(`${dir} is a file, not a directory`);
  const stats = fs.statSync(target, { throwIfNoEntry: false });
  if (stats?.isDirectory()) fail(`it is a directory; give a file name such as ${path.join(target, 'capped.html')}`);
  try {
    fs.accessSync(stats ? target : dir, fs.constants.W_OK);
  } catch {
    fail(`${stats ? 'it' : `its directory ${dir}`} is not writable by you (permission denied); choose another path, or \`-\` for stdout`);
  }
  return target;
}

/** Writes the page to its checked target (null: stdout) and says where it went. */
export function writePage(target: string | null, html: string, out: (text: string) => void, what: string): void {
  if (target === null) {
    out(html);
    return;
  }
  fs.writeFileSync(target, html);
  out(`Wrote ${what} (${Buffer.byteLength(html).toLocaleString('en-US')} bytes) to ${target}\n`);
}

export interface ReviewQuery {
  since: Date;
  now: Date;
  timeZone: string;
}

/** Reads everything the review page shows through the `Ledger` interface (SQLite or PostgreSQL alike). */
export async function loadReview(ledger: Ledger, q: ReviewQuery): Promise<ReviewData> {
  const previousSince = new Date(q.since.getTime() - (q.now.getTime() - q.since.getTime()));
  const report = await ledger.report({ since: q.since, now: q.now, timeZone: q.timeZone });
  const previous = await ledger.report({ since: previousSince, now: q.since, timeZone: q.timeZone });
  const runs = (await ledger.listRuns({ since: previousSince })).filter((r) => Date.parse(r.startedAt) < q.now.getTime());
  const top: RunDetail[] = [];
  for (const t of report.topRuns.slice(0, TOP_RUNS)) {
    const detail = await ledger.getRun(t.id);
    if (detail) top.push(detail);
  }
  return reviewData({ report, previous, runs, top, timeZone: q.timeZone });
}

/** `capped report --html <file>`. */
export async function reportHtml(
  file: string,
  q: ReviewQuery,
  cwd: string,
  withLedger: <T>(fn: (ledger: Ledger) => Promise<T>) => Promise<T>,
  out: (text: string) => void,
): Promise<void> {
  const target = htmlTarget(file, cwd, 'the --html file');
  const html = await withLedger(async (ledger) => reviewPage(await loadReview(ledger, q), ledger.location));
  writePage(target, html, out, 'the review');
}

/** `capped runs show <id> --html <file>`. */
export async function runHtml(
  id: string,
  file: string,
  timeZone: string,
  cwd: string,
  withLedger: <T>(fn: (ledger: Ledger) => Promise<T>) => Promise<T>,
  out: (text: string) => void,
): Promise<void> {
  const target = htmlTarget(file, cwd, 'the --html file');
  const run = await withLedger(async (ledger) => {
    const found = await ledger.getRun(id);
    if (!found) throw new UsageError(`No run \`${id}\` in the ledger (${ledger.location}). \`capped runs --since 30d\` lists the recent ones.`);
    return found;
  });
  writePage(target, runPage(run, { timeZone }), out, `the page of run ${id}`);
}

export interface SummaryHtmlDeps {
  env: NodeJS.ProcessEnv;
  stderr: (text: string) => void;
  /** Opens the run's ledger again (the run's own connection is closed with its final record). */
  open: () => Promise<Ledger>;
}

/**
 * `capped run --summary-html <file>`, at the end of the run: the run's page from the ledger (or,
 * when the ledger cannot be read, from the record alone), and in CI a line in the step summary
 * saying where it is. A failure is a warning: the run has ended, and its record is what counts.
 */
export async function writeSummaryHtml(target: string | null, record: RunRecord, deps: SummaryHtmlDeps): Promise<void> {
  let run: RunDetail | null = null;
  let note = '';
  try {
    const ledger = await deps.open();
    try {
      run = await ledger.getRun(record.id);
    } finally {
      await ledger.close();
    }
  } catch (err) {
    note = `The run ledger could not be read (${(err as Error).message}): the requests are not shown.`;
  }
  if (!run) {
    note ||= 'The run is not in the ledger: the requests are not shown.';
    run = detailOfRecord(record);
  }
  try {
    writePage(target, runPage(run, { note }), deps.stderr, 'the run page');
  } catch (err) {
    deps.stderr(`capped: warning: could not write the --summary-html page to ${target}: ${(err as Error).message}\n`);
    return;
  }
  const summary = deps.env.GITHUB_STEP_SUMMARY;
  if (summary && target !== null) {
    try {
      fs.appendFileSync(summary, `The run's page (HTML, spend over time): \`${target}\`\n\n`);
    } catch (err) {
      deps.stderr(`capped: could not append to GITHUB_STEP_SUMMARY (${summary}): ${(err as Error).message}\n`);
    }
  }
}

/** The summary page's run when only its record is known. */
function detailOfRecord(record: RunRecord): RunDetail {
  return {
    id: record.id,
    command: record.command,
    cwd: record.cwd,
    repo: record.cwd,
    host: '',
    pid: 0,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    status: 'finished',
    // Only the record is known here: its dollars are the contract; exact below $9M.
    spentNano: usdToNano(record.spent.usd),
    budgetUsd: record.budget.usd,
    breachCause: record.breachCause ?? null,
    requestCount: record.spent.requests,
    exceededInitialBudget: record.exceededInitialBudget,
    hardStop: record.hardStop,
    record,
    requests: [],
  };
}

/** For `capped run`: checks the target at the start, and returns what writes the page at the end. */
export function summaryHtmlWriter(file: string, cwd: string, deps: SummaryHtmlDeps): (record: RunRecord) => Promise<void> {
  // The agent's output goes to stdout: a page there would be lost in it.
  if (file === '-') throw new UsageError("`--summary-html` needs a file name (`-`, stdout, is the agent's); e.g. --summary-html capped-run.html");
  const target = htmlTarget(file, cwd, 'the --summary-html file');
  return (record) => writeSummaryHtml(target, record, deps);
}
