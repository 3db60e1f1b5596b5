import { agentOf, HISTORY_DAYS, spendHistory, type RunHistory } from '../ledger/history.js';
import type { Ledger } from '../ledger/ledger.js';
import { repoOf } from '../ledger/repo-root.js';

/**
 * What runs of the repo around `cwd` (and of this agent there) cost over the last HISTORY_DAYS:
 * for the pre-run panel, the CI start line, the escalation projection and the `cap-below-typical`
 * cause. Advisory only: a ledger that cannot answer leaves the run without history, never stops it.
 */
export async function loadRunHistory(ledger: Ledger, cwd: string, command: readonly string[], now: Date): Promise<RunHistory | null> {
  try {
    const runs = await ledger.repoSpend({ since: new Date(now.getTime() - HISTORY_DAYS * 86_400_000), repo: repoOf(cwd) });
    return spendHistory(runs, agentOf(command));
  } catch {
    return null;
  }
}
