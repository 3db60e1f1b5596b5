import type { Report } from './report.js';
import { formatWhole } from '../budget/money.js';
import type { RunRecord } from './run-record.js';
import { formatPercent, formatUsd } from '../model/format.js';
import { commandLine, money, plural } from './text.js';
import { hardStopText, isGuard, LIMIT_NAMES } from '../budget/messages.js';

/** Text safe in a GitHub table cell: pipes escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replaceAll('|', '\\|');
}

/** Inline code that survives backticks inside it (a longer fence, padded). */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${longest > 0 ? ' ' : ''}${text}${longest > 0 ? ' ' : ''}${fence}`;
}

const fmt = formatWhole;

/**
 * The run as GitHub-flavoured markdown, for `$GITHUB_STEP_SUMMARY`: what ran, what it spent of
 * its budget, whether capped stopped it, and the spend by model. No prompt text is in a record.
 */
export function githubSummary(record: RunRecord): string {
  const s = record.spent;
  const tokens = s.inputTokens + s.outputTokens + s.cacheReadTokens + s.cacheWriteTokens;
  const of = record.budget.usd === null ? '' : ` of ${money(record.budget.usd)} (${formatPercent(s.usd / record.budget.usd, 'tenths')})`;
  const outcome = record.hardStop
    ? isGuard(record.hardStop.reason)
      ? `🛑 **Stopped by the ${LIMIT_NAMES[record.hardStop.reason]} guard** at ${record.hardStop.at}: ${hardStopText(record.hardStop)}`
      : `🛑 **Stopped at the ${LIMIT_NAMES[record.hardStop.reason]} cap** at ${record.hardStop.at}`
    : record.exceededInitialBudget
      ? '⚠️ Exceeded its initial budget'
      : '✅ Within budget';
  const cause = record.breachCause ? ` · cause: ${code(record.breachCause)}` : '';
  const rows: [string, string][] = [
    ['Command', code(commandLine(record.command))],
    ['Outcome', `${outcome}${cause} · exit code ${record.exitCode}`],
    [
      'Spent',
      `${money(s.usd)}${of}${record.estimated ? ' (includes estimates)' : ''}${record.apiEquivalent ? ' (API-equivalent price of a subscription)' : ''}`,
    ],
    [
      'Requests',
      `${fmt(s.requests)} · ${plural(tokens, 'token')} (in ${fmt(s.inputTokens)}, out ` +
        `${fmt(s.outputTokens)}, cache read ${fmt(s.cacheReadTokens)}, cache write ` +
        `${fmt(s.cacheWriteTokens)})`,
    ],
    ['Tool actions', `${fmt(s.actions)}${record.budget.actions === null ? '' : ` of ${fmt(record.budget.actions)}`}`],
    ['Phases', `implementation ${money(record.phases.implementation.usd)} · verification ${money(record.phases.verification.usd)}`],
  ];
  if (record.mostExpensive) {
    const m = record.mostExpensive;
    rows.push(['Most expensive request', `${money(m.usd)} on ${code(m.model)} (${m.phase}) at ${m.at}`]);
  }
  let out = `### capped run ${code(record.id)}\n\n| | |\n| --- | --- |\n`;
  out += rows.map(([k, v]) => `| ${k} | ${cell(v)} |\n`).join('');
  const models = Object.entries(record.models).sort(([a, x], [b, y]) => y.usd - x.usd || a.localeCompare(b));
  if (models.length > 0) {
    out += '\n| Model | Spend | Requests |\n| --- | ---: | ---: |\n';
    out += models.map(([model, m]) => `| ${cell(code(model))} | ${money(m.usd)} | ${fmt(m.requests)} |\n`).join('');
  }
  if (record.approvals.length > 0) {
    out += '\n| Approval | Answer | Ceiling | At |\n| --- | --- | --- | --- |\n';
    out += record.approvals.map((a) => `| ${cell(a.kind)} | ${cell(a.answer)} | ${money(a.from)} → ${money(a.to)} | ${a.at} |\n`).join('');
  }
  return `${out}\n`;
}

/**
 * `capped report` for `$GITHUB_STEP_SUMMARY`: the period's spend and breach rate, and the breaches
 * grouped by primary cause with the previous period's count (the trend).
 */
export function githubReportSummary(report: Report, span: string): string {
  let out = `### capped report · last ${span}\n\n`;
  out += `Spent ${formatUsd(report.spentNano)} in ${plural(report.runs, 'run')} · ${report.breaches} exceeded their initial budget`;
  out +=
    report.breachRate === null
      ? '\n'
      : ` (${formatPercent(report.breachRate, 'tenths')}; previous ${span}: ` +
        `${report.previous.breachRate === null ? 'no runs' : formatPercent(report.previous.breachRate, 'tenths')})\n`;
  if (report.causes.length === 0) return `${out}\nNo breaches.\n\n`;
  out += `\n| Breach cause | Runs | Previous ${span} | Trend |\n| --- | ---: | ---: | --- |\n`;
  for (const c of report.causes) {
    const trend = c.runs > c.previous ? '▲' : c.runs < c.previous ? '▼' : '=';
    out += `| ${code(c.cause)} | ${fmt(c.runs)} | ${fmt(c.previous)} | ${trend} |\n`;
  }
  return `${out}\n`;
}
