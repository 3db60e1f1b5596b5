import os from 'node:os';
import type { BudgetAction, BudgetState } from '../budget/types.js';
import { nanoToUsd } from '../budget/money.js';
import type { Ledger, RunStart } from '../ledger/ledger.js';
import type { RunRecord } from '../ledger/run-record.js';
import { repoOf } from '../ledger/repo-root.js';
import type { ProxyNotice } from '../proxy/exchange.js';

/**
 * Writes a run to the ledger as it goes: the run at start, every priced request as it settles,
 * approvals and the hard stop when they happen, the final record at the end. So a capped killed
 * with -9 leaves its run, and every request up to the last, in the ledger.
 */
export class RunJournal {
  private approvals = 0;
  private stopped = false;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly ledger: Ledger,
    private readonly runId: string,
    private readonly warn: (text: string) => void,
  ) {}

  /** Queues one write; a failure is reported once per kind and never stops the run. */
  private write(what: string, work: () => Promise<void>): void {
    this.writes = this.writes.then(work).catch((err: unknown) => this.warn(`capped: warning: the ledger could not record ${what}: ${(err as Error).message}\n`));
  }

  start(run: Omit<RunStart, 'repo' | 'host' | 'pid'>): Promise<void> {
    this.write('the run', () => this.ledger.startRun({ ...run, repo: repoOf(run.cwd), host: os.hostname(), pid: process.pid }));
    return this.writes;
  }

  notice(notice: ProxyNotice, at: string): void {
    if (notice.type !== 'settled') return;
    this.write('a request', () =>
      this.ledger.recordRequest({
        runId: this.runId,
        at,
        model: notice.model,
        provider: notice.provider,
        phase: notice.phase,
        tokens: notice.usage,
        costNano: notice.costNano,
        estimated: notice.estimated,
        retry: notice.retry,
      }),
    );
  }

  /** Reservations charged at the end because their outcome could not be read. */
  abandoned(model: string, costNano: number, tokens: number, phase: BudgetState['phase'], at: string): void {
    this.write('a request', () =>
      this.ledger.recordRequest({
        runId: this.runId,
        at,
        model,
        provider: 'unknown',
        phase,
        tokens: { input: 0, output: tokens, cacheRead: 0, cacheWrite: 0 },
        costNano,
        estimated: true,
        retry: false,
      }),
    );
  }

  action(action: BudgetAction, state: BudgetState): void {
    for (const a of state.approvals.slice(this.approvals)) {
      this.write('an approval', () => this.ledger.recordApproval({ runId: this.runId, kind: a.kind, at: a.at, answer: a.answer, from: nanoToUsd(a.from), to: nanoToUsd(a.to), ...(a.model ? { model: a.model } : {}) }));
    }
    this.approvals = state.approvals.length;
    if (action.type === 'terminate' && !this.stopped && state.hardStop) {
      this.stopped = true;
      const { reason, at } = state.hardStop;
      this.write('the hard stop', () => this.ledger.recordHardStop(this.runId, reason, at));
    }
  }

  async finish(record: RunRecord): Promise<void> {
    this.write('the final record', () => this.ledger.finishRun(record));
    await this.writes;
    await this.ledger.close();
  }
}
