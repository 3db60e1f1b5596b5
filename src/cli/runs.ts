import path from 'node:path';
import type { Command } from 'commander';
import { dataDir } from '../ledger/data-dir.js';
import { parseDuration } from '../ledger/duration.js';
import { LedgerUnavailableError, type Ledger } from '../ledger/ledger.js';
import { SchemaTooNewError } from '../ledger/migrations.js';
import { LedgerUrlError, openLedger, resolveLedgerUrl, type OpenLedgerOptions } from '../ledger/open-ledger.js';
import { repoOf } from '../ledger/repo-root.js';
import { formatRunDetail, formatRunList } from '../ledger/runs-format.js';
import { runSummaryJson } from '../ledger/runs-json.js';
import { UsageError } from '../errors.js';

/** The config file's `ledger` section. */
export interface LedgerSettings {
  url?: string | null;
  retentionDays?: number;
}

/** What `capped runs` and `capped report` need from the outside; `CliDeps` provides it. */
export interface LedgerCommandDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: (text: string) => void;
  now: () => Date;
  /** Whether stdout is a terminal: bold headings then, unless NO_COLOR. Default false. */
  stdoutIsTTY?: boolean;
  /** The config's `ledger` section (url, retentionDays), read when a ledger command runs. */
  ledgerSettings?: () => LedgerSettings | Promise<LedgerSettings>;
  /** Time zone for the times and days shown. Default: the system's. */
  timeZone?: string;
  openLedger?: (opts: OpenLedgerOptions) => Promise<Ledger>;
}

export const DEFAULT_SINCE = '7d';
const LEDGER_HELP = 'a team ledger on PostgreSQL (default: CAPPED_LEDGER_URL, then config ledger.url, else the local one)';

/** Parses `--since`: a span back from now such as 7d, 24h or 30m. */
export function parseSince(raw: string, now: Date): Date {
  const ms = parseDuration(raw);
  if (ms === null) throw new UsageError(`Expected \`--since\` to be a duration like 7d, 24h or 30m, got \`${raw}\`.`);
  return new Date(now.getTime() - ms);
}

export function timeZoneOf(deps: LedgerCommandDeps): string {
  return deps.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function colorOf(deps: LedgerCommandDeps): boolean {
  return deps.stdoutIsTTY === true && !deps.env.NO_COLOR;
}

/** Opens the ledger the flag, environment or config selects, runs `fn`, and always closes it. */
export async function withLedger<T>(flag: string | undefined, deps: LedgerCommandDeps, fn: (ledger: Ledger) => Promise<T>): Promise<T> {
  const settings = (await deps.ledgerSettings?.()) ?? {};
  let ledger: Ledger;
  try {
    const url = resolveLedgerUrl(flag, deps.env, settings.url);
    ledger = await (deps.openLedger ?? openLedger)({
      url,
      dataDir: dataDir(deps.env),
      now: deps.now,
      ...(settings.retentionDays === undefined ? {} : { retentionDays: settings.retentionDays }),
    });
  } catch (err) {
    if (err instanceof LedgerUrlError || err instanceof LedgerUnavailableError || err instanceof SchemaTooNewError) {
      throw new UsageError(err.message);
    }
    throw err;
  }
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export interface RunsOptions {
  since?: string;
  repo?: string | boolean;
  json?: boolean;
  ledger?: string;
}

/** `capped runs`: the runs started since `--since`, newest first. */
export async function runsAction(opts: RunsOptions, deps: LedgerCommandDeps): Promise<void> {
  const since = parseSince(opts.since ?? DEFAULT_SINCE, deps.now());
  const repo = opts.repo === undefined || opts.repo === false ? undefined : repoOf(path.resolve(deps.cwd, opts.repo === true ? '.' : opts.repo));
  const runs = await withLedger(opts.ledger, deps, (ledger) => ledger.listRuns(repo === undefined ? { since } : { since, repo }));
  if (opts.json) {
    deps.stdout(json({ since: since.toISOString(), repo: repo ?? null, runs: runs.map(runSummaryJson) }));
    return;
  }
  deps.stdout(formatRunList(runs, since, { color: colorOf(deps), timeZone: timeZoneOf(deps), ...(repo === undefined ? {} : { repo }) }));
}

/** `capped runs show <id>`: one run, its requests and approvals. */
export async function showRunAction(id: string, opts: { json?: boolean; ledger?: string; html?: string }, deps: LedgerCommandDeps): Promise<void> {
  if (opts.html !== undefined) {
    const { runHtml } = await import('../html/commands.js');
    return runHtml(id, opts.html, timeZoneOf(deps), deps.cwd, (fn) => withLedger(opts.ledger, deps, fn), deps.stdout);
  }
  const run = await withLedger(opts.ledger, deps, async (ledger) => {
    const found = await ledger.getRun(id);
    if (!found) throw new UsageError(`No run \`${id}\` in the ledger (${ledger.location}). \`capped runs --since 30d\` lists the recent ones.`);
    return found;
  });
  deps.stdout(opts.json ? json(runSummaryJson(run)) : formatRunDetail(run, { color: colorOf(deps), timeZone: timeZoneOf(deps) }));
}

/** Registers `capped runs` and `capped runs show <id>`. */
export function registerRunsCommand(program: Command, deps: LedgerCommandDeps): Command {
  const runs = program
    .command('runs')
    .summary('list recent runs from the ledger')
    .description('List the runs recorded in the ledger, newest first: spend, budget, status, and whether each broke its initial budget.')
    .option('--since <span>', 'runs started within this span back from now: 7d, 24h, 30m', DEFAULT_SINCE)
    .option('--repo [path]', 'only runs in this repository (default: the one around the current directory)')
    .option('--json', 'print JSON')
    .option('--ledger <url>', LEDGER_HELP)
    .action((opts: RunsOptions) => runsAction(opts, deps));
  runs
    .command('show')
    .summary('show one run, its requests and approvals')
    .argument('<id>', 'the run id, as `capped runs` lists it')
    .option('--json', 'print JSON')
    .option('--ledger <url>', LEDGER_HELP)
    .option('--html <file>', 'write the run as one self-contained HTML page (its spend curve) to <file>; - for stdout')
    // Options written after `show` may land on `runs` itself: read both.
    .action((id: string, _opts: unknown, command: Command) =>
      showRunAction(id, command.optsWithGlobals<{ json?: boolean; ledger?: string; html?: string }>(), deps),
    );
  return runs;
}
