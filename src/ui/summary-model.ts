import type { RunRecord } from '../model/run-record.js';
import type { RunMoney } from '../model/run-money.js';
import { formatPercent, formatUsdShort } from '../model/format.js';
import { formatInt } from './format.js';
import type { RunSummaryProps } from './run-summary.js';
import { hardStopText, isGuard, LIMIT_NAMES } from '../budget/messages.js';

type RecordApproval = RunRecord['approvals'][number];

/** What was asked, in words: "limit: $1.50 → $3.00", "escalation to claude-opus-4-5: $0.75 → $2.50". */
function approvalQuestion(a: RecordApproval, ceiling: RunMoney['approvals'][number] | undefined): string {
  const what = a.model ? `${a.kind} to ${a.model}` : a.kind;
  return ceiling && ceiling.from !== ceiling.to ? `${what}: ${formatUsdShort(ceiling.from)} → ${formatUsdShort(ceiling.to)}` : what;
}

/**
 * The summary's props from the run record and its money: the record says what happened, the
 * amounts are the engine's nano-dollars (`money`), formatted here and nowhere converted back.
 */
export function summaryFromRecord(record: RunRecord, money: RunMoney, columns: number, recordFile: string | null = null): RunSummaryProps {
  const requested = money.budget;
  const fraction = requested === null ? null : requested > 0 ? money.spent / requested : 1;
  const nanoOf = (model: string): number => money.models[model] ?? 0;
  const models = Object.entries(record.models)
    .sort(([a], [b]) => nanoOf(b) - nanoOf(a))
    .map(([name, m]) => ({ name, value: `${formatUsdShort(nanoOf(name))} · ${formatInt(m.requests)} ${m.requests === 1 ? 'request' : 'requests'}` }));
  return {
    spent: formatUsdShort(money.spent),
    requested: requested === null ? null : formatUsdShort(requested),
    consumed: fraction === null ? null : formatPercent(fraction),
    fraction,
    approvals: record.approvals.map((a, i) => ({ question: approvalQuestion(a, money.approvals[i]), answer: a.answer })),
    hardStop: record.hardStop
      ? isGuard(record.hardStop.reason)
        ? `stopped: ${hardStopText(record.hardStop)}`
        : `${hardStopText(record.hardStop)}; the agent was ended`
      : null,
    phases: [
      { name: 'implementation', value: formatUsdShort(money.phases.implementation) },
      { name: 'verification', value: formatUsdShort(money.phases.verification) },
    ],
    models,
    exit: record.hardStop
      ? `exit ${record.exitCode} (stopped ${isGuard(record.hardStop.reason) ? `by the ${LIMIT_NAMES[record.hardStop.reason]} guard` : 'at the limit'})`
      : `agent exit code ${record.exitCode}`,
    recordFile,
    columns,
  };
}
