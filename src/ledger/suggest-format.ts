import { spanText } from './duration.js';
import type { Suggestion } from './suggest.js';
import { formatPercent } from '../model/format.js';
import { money, plural } from './text.js';

/** `capped report --suggest` as text: the figures behind it, then the change (or why there is none). */
export function formatSuggestion(s: Suggestion): string {
  const span = spanText(Date.parse(s.now) - Date.parse(s.since));
  let out = `capped report --suggest · ${s.repo} · last ${span}\n\n`;
  const breaches = s.breachesByCause.map((b) => `${b.runs} ${b.cause}`).join(', ');
  if (s.notEnough !== null) {
    out += `  Too little data to suggest a change: ${s.notEnough}.\n`;
    if (breaches) out += `  Breaches so far: ${breaches}.\n`;
    return `${out}  Run more sessions here, or look further back with --since (e.g. --since 30d).\n`;
  }
  out += `  ${plural(s.normalRuns, 'run')} of ${s.runs} ended within their budget: median ${money(s.medianUsd ?? 0)}, p90 ${money(s.p90Usd ?? 0)}\n`;
  out +=
    `  verification took up to ${formatPercent(s.verifyShareP90 ?? 0, 'tenths')} of their spend (p90); ` +
    `the policy allows ` +
    `${s.current.verifyUsd === null ? formatPercent(s.current.verifyShare, 'tenths') : `${money(s.current.verifyUsd)}`}\n`;
  if (breaches) out += `  breaches: ${breaches}\n`;
  const where = s.current.file ?? '.budgetrc';
  const lines: string[] = [];
  if (s.changes.maxUsd !== undefined) lines.push(`maxUsd: ${s.changes.maxUsd}  # was ${s.current.maxUsd}; the p90 of runs that ended normally, rounded up`);
  if (s.changes.verifyShare !== undefined)
    lines.push(`verifyShare: ${s.changes.verifyShare}  # was ${s.current.verifyShare}; the p90 verification share, rounded up`);
  if (lines.length === 0) return `${out}\n  No change: the policy in force (${where}) already fits these runs.\n`;
  return `${out}\nSuggested change to ${where}:\n${lines.map((l) => `  ${l}\n`).join('')}`;
}
