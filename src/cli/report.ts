import fs from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadPolicy } from '../config/load.js';
import { spanText } from '../ledger/duration.js';
import { githubReportSummary } from '../ledger/github-summary.js';
import { formatReport } from '../ledger/report-format.js';
import { reportJson } from '../ledger/report-json.js';
import { repoOf } from '../ledger/repo-root.js';
import { formatSuggestion } from '../ledger/suggest-format.js';
import { suggestBudget } from '../ledger/suggest.js';
import { colorOf, DEFAULT_SINCE, parseSince, timeZoneOf, withLedger, type LedgerCommandDeps } from './runs.js';

export interface ReportOptions {
  since?: string;
  days?: string;
  json?: boolean;
  /** Write the review as one self-contained HTML page to this file (`-`: stdout). */
  html?: string;
  ledger?: string;
  suggest?: boolean;
}

/** `--suggest` looks further back by default: a week is rarely enough runs of one repo. */
export const SUGGEST_SINCE = '30d';

/** `capped report`: spend, breach rate and its trend, breaches by cause, top runs, and where the money went. */
export async function reportAction(opts: ReportOptions, deps: LedgerCommandDeps): Promise<void> {
  if (opts.suggest) return suggestAction(opts, deps);
  const now = deps.now();
  const since = parseSince(opts.days === undefined ? (opts.since ?? DEFAULT_SINCE) : daysSpan(opts.days, opts.since), now);
  const timeZone = timeZoneOf(deps);
  if (opts.html !== undefined) {
    // Loaded only for --html, so `capped report` itself starts no slower.
    const { reportHtml } = await import('../html/commands.js');
    return reportHtml(opts.html, { since, now, timeZone }, deps.cwd, (fn) => withLedger(opts.ledger, deps, fn), deps.stdout);
  }
  const report = await withLedger(opts.ledger, deps, (ledger) => ledger.report({ since, now, timeZone }));
  deps.stdout(opts.json ? `${JSON.stringify(reportJson(report), null, 2)}\n` : formatReport(report, { color: colorOf(deps), timeZone }));
  appendStepSummary(deps, () => githubReportSummary(report, spanText(now.getTime() - since.getTime())));
}

/** `capped report --suggest`: the `.budgetrc` change the ledger supports for the repo here. */
async function suggestAction(opts: ReportOptions, deps: LedgerCommandDeps): Promise<void> {
  const now = deps.now();
  const since = parseSince(opts.since ?? SUGGEST_SINCE, now);
  const loaded = loadPolicy({ cwd: deps.cwd, env: deps.env });
  const current = { maxUsd: loaded.policy.maxUsd, verifyShare: loaded.policy.verifyShare, verifyUsd: loaded.policy.verifyUsd, file: loaded.file };
  const input = await withLedger(opts.ledger, deps, (ledger) => ledger.reportInput({ since, now }));
  const suggestion = suggestBudget(input, repoOf(deps.cwd), current);
  deps.stdout(opts.json ? `${JSON.stringify(suggestion, null, 2)}\n` : formatSuggestion(suggestion));
}

/** In a GitHub Actions job, the report also goes to the job's summary page. */
function appendStepSummary(deps: LedgerCommandDeps, markdown: () => string): void {
  const file = deps.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  try {
    fs.appendFileSync(file, markdown());
  } catch (err) {
    process.stderr.write(`capped: could not append to GITHUB_STEP_SUMMARY (${file}): ${(err as Error).message}\n`);
  }
}

/** `--days 14` is `--since 14d`; both at once is a mistake. */
function daysSpan(days: string, since: string | undefined): string {
  if (since !== undefined) throw new UsageError('Give `--since` or `--days`, not both.');
  if (!/^[1-9]\d*$/.test(days)) throw new UsageError(`Expected \`--days\` to be a whole number of days like 7 or 30, got \`${days}\`.`);
  return `${days}d`;
}

/** Registers `capped report`. */
export function registerReportCommand(program: Command, deps: LedgerCommandDeps): Command {
  return (
    program
      .command('report')
      .summary('review spend and how often runs broke their budget')
      .description(
        // One paragraph: commander wraps it to the terminal (hard line breaks made it ragged).
        'Review the ledger: total spend, the breach rate (runs that exceeded their initial budget) and its ' +
          'trend against the previous period, breaches by cause, the most expensive runs, approvals, hard stops, and spend by ' +
          'model, phase, repository and day. With --suggest: the .budgetrc change the runs of this repository support.',
      )
      // No commander default: --suggest has its own (a longer one), and --days must see whether --since was given.
      .option('--since <span>', `the period, back from now: 7d, 24h, 30m (default: ${DEFAULT_SINCE}; with --suggest ${SUGGEST_SINCE})`)
      .option('--days <n>', 'the period as a number of days back from now (same as --since <n>d)')
      .option('--json', 'print JSON')
      .option('--html <file>', 'write the review as one self-contained HTML page (charts, no network) to <file>; - for stdout')
      .option('--suggest', 'suggest maxUsd and verifyShare for this repository from its runs')
      .option('--ledger <url>', 'a team ledger on PostgreSQL (default: CAPPED_LEDGER_URL, then config ledger.url, else the local one)')
      .action((opts: ReportOptions) => reportAction(opts, deps))
  );
}
