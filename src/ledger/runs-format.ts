import { formatWhole } from '../budget/money.js';
import type { RunDetail, RunSummary } from './ledger.js';
import { UNKNOWN_EXIT_CODE } from './rebuild-record.js';
import type { FormatOptions } from './report-format.js';
import { formatDuration, formatPercent, formatUsd } from '../model/format.js';
import { budgetMoney, commandLine, heading, money, plural, stamp, table, truncate } from './text.js';

function note(run: Pick<RunSummary, 'hardStop' | 'exceededInitialBudget'>): string {
  if (run.hardStop) return `hard stop: ${run.hardStop.reason}`;
  return run.exceededInitialBudget ? 'exceeded budget' : '';
}

/** `capped runs` as text: one aligned line per run, newest first, and a total. */
export function formatRunList(runs: readonly RunSummary[], since: Date, opts: FormatOptions & { repo?: string }): string {
  const where = opts.repo === undefined ? '' : ` in ${opts.repo}`;
  const when = stamp(since.toISOString(), opts.timeZone);
  if (runs.length === 0) return `No runs${where} since ${when}.\n`;
  const header = ['STARTED', 'RUN', 'STATUS', 'SPENT', 'BUDGET', 'REQUESTS', 'NOTE', 'REPO', 'COMMAND'];
  const rows = runs.map((r) => [
    stamp(r.startedAt, opts.timeZone),
    r.id,
    r.status,
    formatUsd(r.spentNano),
    budgetMoney(r.budgetUsd),
    formatWhole(r.requestCount),
    note(r),
    r.repo,
    truncate(commandLine(r.command), 40),
  ]);
  const [head, ...body] = table([header, ...rows], 'lllrrrlll', '').split('\n');
  const total = runs.reduce((sum, r) => sum + r.spentNano, 0);
  const exceeded = runs.filter((r) => r.exceededInitialBudget).length;
  return (
    `${heading(head!, opts.color)}\n${body.join('\n')}` +
    `\n${plural(runs.length, 'run')}${where} since ${when} · ${formatUsd(total)} spent · ${exceeded} ` +
    `exceeded ${exceeded === 1 ? 'its' : 'their'} initial budget\n`
  );
}

/** `capped runs show`: the run's facts, its requests, and its approvals. */
export function formatRunDetail(run: RunDetail, opts: FormatOptions): string {
  const tz = opts.timeZone;
  const r = run.record;
  const h = (text: string): string => heading(text, opts.color);
  const tokens = r.spent.inputTokens + r.spent.outputTokens + r.spent.cacheReadTokens + r.spent.cacheWriteTokens;
  const of = r.budget.usd === null ? '' : ` of ${budgetMoney(r.budget.usd)} (${formatPercent(r.spent.usd / r.budget.usd, 'tenths')})`;
  const ended =
    run.endedAt === null
      ? 'still running'
      : `${stamp(run.endedAt, tz, true)} (${formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt), 'clock')})`;
  const facts: string[][] = [
    ['command', commandLine(r.command)],
    ['repo', run.repo],
    ...(run.cwd === run.repo ? [] : [['cwd', run.cwd]]),
    ['host', `${run.host} (pid ${run.pid})`],
    ['started', stamp(run.startedAt, tz, true)],
    [run.status === 'aborted' ? 'last seen' : 'ended', ended],
    [
      'spent',
      `${money(r.spent.usd)}${of} · ${plural(r.spent.requests, 'request')} · ` + `${plural(tokens, 'token')}${r.estimated ? ' · includes estimates' : ''}`,
    ],
    [
      'tokens',
      `in ${fmt(r.spent.inputTokens)} · out ${fmt(r.spent.outputTokens)} · cache read ` +
        `${fmt(r.spent.cacheReadTokens)} · cache write ${fmt(r.spent.cacheWriteTokens)}`,
    ],
    ['phases', `implementation ${money(r.phases.implementation.usd)} · verification ${money(r.phases.verification.usd)}`],
    ['hard stop', r.hardStop ? `${r.hardStop.reason} cap at ${stamp(r.hardStop.at, tz, true)}` : 'none'],
    [
      'envelope',
      r.exceededInitialBudget ? `exceeded its initial budget${r.breachCause ? ` (cause: ${r.breachCause})` : ''}` : 'stayed within its initial budget',
    ],
    ['exit code', r.exitCode === UNKNOWN_EXIT_CODE ? 'unknown (capped did not finish the run)' : String(r.exitCode)],
  ];
  if (r.apiEquivalent) facts.push(['billing', 'subscription login: spend is the API-equivalent price']);
  let out = `${h(`run ${run.id}`)} · ${run.status}\n${table(facts, 'll')}`;
  if (run.status === 'aborted') {
    out +=
      `\n  capped ended without finishing this run (killed, or the machine stopped); the figures are ` +
      `rebuilt\n  from the ${plural(run.requests.length, 'request')} it recorded.\n`;
  }
  if (run.requests.length > 0) {
    out += `\n${h('requests')}\n`;
    out += table(
      [
        ['#', 'TIME', 'MODEL', 'PHASE', 'IN', 'OUT', 'CACHE R/W', 'COST', ''],
        ...run.requests.map((q, i) => [
          String(i + 1),
          stamp(q.at, tz, true).slice(11),
          q.model,
          q.phase,
          fmt(q.tokens.input),
          fmt(q.tokens.output),
          `${fmt(q.tokens.cacheRead)}/${fmt(q.tokens.cacheWrite)}`,
          formatUsd(q.costNano),
          [q.estimated ? 'estimated' : '', q.retry ? 'retry' : ''].filter(Boolean).join(', '),
        ]),
      ],
      'rlllrrrrl',
    );
  }
  if (r.approvals.length > 0) {
    out += `\n${h('approvals')}\n`;
    out += table(
      r.approvals.map((a) => [stamp(a.at, tz, true).slice(11), a.kind, a.answer, `${money(a.from)} → ${money(a.to)}`]),
      'llll',
    );
  }
  return out;
}

const fmt = formatWhole;
