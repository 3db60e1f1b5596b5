import type { Command } from 'commander';
import { formatReport } from '../ledger/report-format.js';
import { colorOf, DEFAULT_SINCE, parseSince, timeZoneOf, withLedger, type LedgerCommandDeps } from './runs.js';

export interface ReportOptions {
  since?: string;
  json?: boolean;
  ledger?: string;
}

/** `capped report`: spend, breach rate and its trend, top runs, and where the money went. */
export async function reportAction(opts: ReportOptions, deps: LedgerCommandDeps): Promise<void> {
  const now = deps.now();
  const since = parseSince(opts.since ?? DEFAULT_SINCE, now);
  const timeZone = timeZoneOf(deps);
  const report = await withLedger(opts.ledger, deps, (ledger) => ledger.report({ since, now, timeZone }));
  deps.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { color: colorOf(deps), timeZone }));
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
    .option('--json', 'print JSON')
    .option('--ledger <url>', 'a team ledger on PostgreSQL (default: CAPPED_LEDGER_URL, then config ledger.url, else the local one)')
    .action((opts: ReportOptions) => reportAction(opts, deps));
}
