import type { RunRecord } from '../model/run-record.js';
import { formatPercent, formatUsdShort } from '../model/format.js';
import { formatInt } from './format.js';
import type { RunSummaryProps } from './run-summary.js';
import { hardStopText, isGuard, LIMIT_NAMES } from '../budget/messages.js';

type RecordApproval = RunRecord['approvals'][number];

/** What was asked, in words: "limit: $1.50 → $3.00", "escalation to claude-opus-4-5: $0.75 → $2.50". */
function approvalQuestion(a: RecordApproval): string {
  const what = a.model ? `${a.kind} to ${a.model}` : a.kind;
  return a.from !== a.to ? `${what}: ${usd(a.from)} → ${usd(a.to)}` : what;
}

const usd = (dollars: number): string => formatUsdShort(Math.round(dollars * 1e9));

/** The summary's props from the run record (the record is the contract; the summary reads it). */
export function summaryFromRecord(record: RunRecord, columns: number, recordFile: string | null = null): RunSummaryProps {
  const requested = record.budget.usd;
  const fraction = requested === null ? null : requested > 0 ? record.spent.usd / requested : 1;
  const models = Object.entries(record.models)
    .sort(([, a], [, b]) => b.usd - a.usd)
    .map(([name, m]) => ({ name, value: `${usd(m.usd)} · ${formatInt(m.requests)} ${m.requests === 1 ? 'request' : 'requests'}` }));
  return {
    spent: usd(record.spent.usd),
    requested: requested === null ? null : usd(requested),
    consumed: fraction === null ? null : formatPercent(fraction),
    fraction,
    approvals: record.approvals.map((a) => ({ question: approvalQuestion(a), answer: a.answer })),
    hardStop: record.hardStop
      ? isGuard(record.hardStop.reason)
        ? `stopped: ${hardStopText(record.hardStop)}`
        : `${hardStopText(record.hardStop)}; the agent was ended`
      : null,
    phases: [
      { name: 'implementation', value: usd(record.phases.implementation.usd) },
      { name: 'verification', value: usd(record.phases.verification.usd) },
    ],
    models,
    exit: record.hardStop
      ? `exit ${record.exitCode} (stopped ${isGuard(record.hardStop.reason) ? `by the ${LIMIT_NAMES[record.hardStop.reason]} guard` : 'at the limit'})`
      : `agent exit code ${record.exitCode}`,
    recordFile,
    columns,
  };
}
