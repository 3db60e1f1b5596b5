import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';
import { formatReport } from '../ledger/report-format.js';
import { colorOf, DEFAULT_SINCE, parseSince, timeZoneOf, withLedger, type LedgerCommandDeps } from './runs.js';

export interface ReportOptions {
  since?: string;
  days?: string;
  json?: boolean;
  /** Write the review as one self-contained HTML page to this file (`-`: stdout). */
  html?: string;
  ledger?: string;
}

/** `capped report`: spend, breach rate and its trend, top runs, and where the money went. */
export async function reportAction(opts: ReportOptions, deps: LedgerCommandDeps): Promise<void> {
  const now = deps.now();
  const since = parseSince(opts.days === undefined ? (opts.since ?? DEFAULT_SINCE) : daysSpan(opts.days, opts.since), now);
  const timeZone = timeZoneOf(deps);
  if (opts.html !== undefined) {
    // Loaded only for --html, so `capped report` itself starts no slower.
    const { reportHtml } = await import('../html/commands.js');
    return reportHtml(opts.html, { since, now, timeZone }, deps.cwd, (fn) => withLedger(opts.ledger, deps, fn), deps.stdout);
  }
  const report = await withLedger(opts.ledger, deps, (ledger) => ledger.report({ since, now, timeZone }));
  deps.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { color: colorOf(deps), timeZone }));
}

/** `--days 14` is `--since 14d`; both at once is a mistake. */
function daysSpan(days: string, since: string | undefined): string {
  if (since !== undefined && since !== DEFAULT_SINCE) throw new UsageError('Give `--since` or `--days`, not both.');
  if (!/^[1-9]\d*$/.test(days)) throw new UsageError(`Expected \`--days\` to be a whole number of days like 7 or 30, got \`${days}\`.`);
  return `${days}d`;
}

/** Registers `capped report`. */
export function registerReportCommand(program: Command, deps: LedgerCommandDeps): Command {
  return program
    .command('report')
    .summary('review spend and how often runs broke their budget')
    .description(
      // One paragraph: commander wraps it to the terminal (hard line breaks made it ragged).
      'Review the ledger: total spend, the breach rate (runs that exceeded their initial budget) and its ' +
        'trend against the previous period, the most expensive runs, approvals, hard stops, and spend by ' +
        'model, phase, repository and day.',
    )
    .option('--since <span>', 'the period, back from now: 7d, 24h, 30m', DEFAULT_SINCE)
    .option('--days <n>', 'the period as a number of days back from now (same as --since <n>d)')
    .option('--json', 'print JSON')
    .option('--html <file>', 'write the review as one self-contained HTML page (charts, no network) to <file>; - for stdout')
    .option('--ledger <url>', 'a team ledger on PostgreSQL (default: CAPPED_LEDGER_URL, then config ledger.url, else the local one)')
    .action((opts: ReportOptions) => reportAction(opts, deps));
}
