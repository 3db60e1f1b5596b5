import type { Report } from './report.js';
import { formatWhole } from '../budget/money.js';
import type { RunRecord } from './run-record.js';
import { formatPercent, formatUsd } from '../model/format.js';
import { commandLine, plural } from './text.js';
import type { RunMoney } from '../model/run-money.js';
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

/** An approval's ceiling before and after (`$1.50 → $3.00`), in the engine's nano-dollars. */
function ceiling(money: RunMoney, i: number): string {
  const a = money.approvals[i];
  return a === undefined ? '' : `${formatUsd(a.from)} → ${formatUsd(a.to)}`;
}

/**
 * The run as GitHub-flavoured markdown, for `$GITHUB_STEP_SUMMARY`: what ran, what it spent of
 * its budget, whether capped stopped it, and the spend by model. No prompt text is in a record.
 * The amounts come from `money` (the engine's nano-dollars), not from the record's dollars.
 */
export function githubSummary(record: RunRecord, money: RunMoney): string {
  const s = record.spent;
  const tokens = s.inputTokens + s.outputTokens + s.cacheReadTokens + s.cacheWriteTokens;
  const of = money.budget === null ? '' : ` of ${formatUsd(money.budget)} (${formatPercent(money.spent / money.budget, 'tenths')})`;
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
      `${formatUsd(money.spent)}${of}${record.estimated ? ' (includes estimates)' : ''}${record.apiEquivalent ? ' (API-equivalent price of a subscription)' : ''}`,
    ],
    [
      'Requests',
      `${fmt(s.requests)} · ${plural(tokens, 'token')} (in ${fmt(s.inputTokens)}, out ` +
        `${fmt(s.outputTokens)}, cache read ${fmt(s.cacheReadTokens)}, cache write ` +
        `${fmt(s.cacheWriteTokens)})`,
    ],
    ['Tool actions', `${fmt(s.actions)}${record.budget.actions === null ? '' : ` of ${fmt(record.budget.actions)}`}`],
    ['Phases', `implementation ${formatUsd(money.phases.implementation)} · verification ${formatUsd(money.phases.verification)}`],
  ];
  if (record.mostExpensive) {
    const m = record.mostExpensive;
    rows.push(['Most expensive request', `${formatUsd(money.mostExpensive ?? 0)} on ${code(m.model)} (${m.phase}) at ${m.at}`]);
  }
  let out = `### capped run ${code(record.id)}\n\n| | |\n| --- | --- |\n`;
  out += rows.map(([k, v]) => `| ${k} | ${cell(v)} |\n`).join('');
  const nanoOf = (model: string): number => money.models[model] ?? 0;
  const models = Object.entries(record.models).sort(([a], [b]) => nanoOf(b) - nanoOf(a) || a.localeCompare(b));
  if (models.length > 0) {
    out += '\n| Model | Spend | Requests |\n| --- | ---: | ---: |\n';
    out += models.map(([model, m]) => `| ${cell(code(model))} | ${formatUsd(nanoOf(model))} | ${fmt(m.requests)} |\n`).join('');
  }
  if (record.approvals.length > 0) {
    out += '\n| Approval | Answer | Ceiling | At |\n| --- | --- | --- | --- |\n';
    out += record.approvals.map((a, i) => `| ${cell(a.kind)} | ${cell(a.answer)} | ${ceiling(money, i)} | ${a.at} |\n`).join('');
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
