import os from 'node:os';
import type { Nano } from '../budget/money.js';
import { windowEnd, windowStart } from '../ledger/windows.js';
import type { WindowGate } from '../proxy/server.js';
import type { BudgetAction, BudgetState, Reservation } from '../budget/types.js';
import { nanoToUsd } from '../budget/money.js';
import type { KnownRow, Ledger, RequestEntry, RunStart } from '../ledger/ledger.js';
import type { RunRecord } from '../ledger/run-record.js';
import { repoOf } from '../ledger/repo-root.js';
import type { ProxyNotice } from '../proxy/exchange.js';

/** A crashed run's hold stops counting after this long (longer than any one response takes). */
const HOLD_LIFETIME_MS = 30 * 60_000;
/** While paused at a window ceiling, how often to look again before the reset. */
const RECHECK_MS = 15_000;
/**
 * How soon to try a hold again while other requests' holds fill the window: soon at first (they
 * usually settle within a response), then less and less often (a crashed run's hold can linger).
 */
const HOLD_RETRY_MS = 50;
const HOLD_RETRY_MAX_MS = 5_000;
/** While paused, the longest wait between looks (each look waits twice as long as the last). */
const RECHECK_MAX_MS = 5 * 60_000;

/**
 * Resolves after `ms`, or at once when `signal` aborts; never keeps the process alive. Not
 * node:timers/promises' setTimeout (which takes the same signal and ref: false): the global timer
 * is what the window gate's tests replace with fake time to check the back-off.
 */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Writes a run to the ledger as it goes: the run at start, every request as reserved before it is
 * forwarded and again as it settles, approvals and the hard stop when they happen, the final
 * record at the end. So a capped killed with -9 leaves its run, and every request up to the last
 * (the one in flight charged at its reservation), in the ledger.
 */
export class RunJournal {
  private approvals = 0;
  private stopped = false;
  /** After the final record: the ledger is closed, and anything arriving late is already counted. */
  private finished = false;
  /** Settles once every write asked for so far is done (or failed, which is reported). */
  private writes: Promise<void> = Promise.resolve();
  /** Requests whose reservation row was written, until they settle or are released. */
  private readonly reservedRows = new Set<string>();

  constructor(
    /** Readable for the run's history query before the first write. */
    readonly ledger: Ledger,
    private readonly runId: string,
    private readonly warn: (text: string) => void,
  ) {}

  /**
   * Starts one write now (the ledger keeps them in call order and commits those of one tick in one
   * transaction); a failure is reported and never stops the run. Writes do not wait for each
   * other, so the request path waits for at most one commit, not a queue of them.
   */
  private write(what: string, work: () => Promise<void>): Promise<void> {
    if (this.finished) return this.writes;
    const done = work().catch((err: unknown) => this.warn(`capped: warning: the ledger could not record ${what}: ${(err as Error).message}\n`));
    const before = this.writes;
    this.writes = before.then(() => done);
    return done;
  }

  start(run: Omit<RunStart, 'repo' | 'host' | 'pid'>): Promise<void> {
    void this.write('the run', () => this.ledger.startRun({ ...run, repo: repoOf(run.cwd), host: os.hostname(), pid: process.pid }));
    return this.writes;
  }

  /**
   * Writes request `id` as reserved, charged at its worst case, as the proxy forwards it (the
   * ledger commits it at the end of that turn of the event loop): the returned promise resolves
   * once that write is done (or failed, which is reported).
   */
  reserve(id: string, r: Reservation, provider: string, at: string): Promise<void> {
    return this.write('a reservation', async () => {
      const holdId = this.holds.has(id) ? this.holdId(id) : undefined;
      await this.ledger.recordRequest({ ...this.worstCase(id, r, at), provider, reserved: true, ...(holdId ? { holdId } : {}) }, 'new');
      this.reservedRows.add(id);
    });
  }

  /** A reservation as a request row: its whole cost, estimated, its tokens as output. */
  private worstCase(id: string, r: Pick<Reservation, 'model' | 'nano' | 'tokens' | 'phase'>, at: string): RequestEntry {
    return {
      runId: this.runId,
      key: id,
      at,
      model: r.model,
      provider: 'unknown',
      phase: r.phase,
      tokens: { input: 0, output: r.tokens, cacheRead: 0, cacheWrite: 0 },
      costNano: r.nano,
      estimated: true,
      retry: false,
    };
  }

  notice(notice: ProxyNotice, at: string): void {
    if (notice.type !== 'settled') return;
    // Its reservation row, when that was written, is settled in place.
    const known = this.reservedRows.delete(notice.id) ? 'reserved' : undefined;
    // The request's cost enters `requests` before its window hold leaves: never counted zero times.
    if (this.holds.delete(notice.id)) {
      const id = notice.id;
      void this.write('a request', () => this.recordThenRelease(notice, at, id, known));
      return;
    }
    void this.write('a request', () => this.ledger.recordRequest(this.entryOf(notice, at), known));
  }

  private entryOf(notice: Extract<ProxyNotice, { type: 'settled' }>, at: string): RequestEntry {
    return {
      runId: this.runId,
      key: notice.id,
      at,
      model: notice.model,
      provider: notice.provider,
      phase: notice.phase,
      tokens: notice.usage,
      costNano: notice.costNano,
      estimated: notice.estimated,
      retry: notice.retry,
      reservedInputNano: notice.reservedInputNano,
      billedInputNano: notice.billedInputNano,
    };
  }

  private async recordThenRelease(notice: Extract<ProxyNotice, { type: 'settled' }>, at: string, id: string, known: KnownRow | undefined): Promise<void> {
    await this.ledger.recordRequest(this.entryOf(notice, at), known);
    await this.ledger.releaseHold(this.holdId(id));
  }

  private readonly holds = new Set<string>();

  /** Hold ids are unique across runs sharing the ledger. */
  private holdId(id: string): string {
    return `${this.runId}:${id}`;
  }

  /**
   * The gate for daily/weekly ceilings shared by every run of this ledger. `pause` makes refused
   * requests wait for the window instead of stopping the run.
   */
  windowGate(ceilings: { daily: Nano | null; weekly: Nano | null }, pause: boolean, now: () => Date): WindowGate {
    const kinds = (['daily', 'weekly'] as const).filter((k) => ceilings[k] !== null);
    const windowsAt = (at: Date) => kinds.map((kind) => ({ kind, since: windowStart(kind, at), ceilingNano: ceilings[kind]!, resetsAt: windowEnd(kind, at) }));
    return {
      hold: async (id, nano, signal) => {
        let at = now();
        let windows = windowsAt(at);
        for (let retry = 0; ; retry++) {
          signal?.throwIfAborted();
          await this.writes; // settle what this run already wrote before checking the shared sum
          at = now();
          windows = windowsAt(at);
          const ok = await this.ledger.holdWindow({
            id: this.holdId(id),
            runId: this.runId,
            at: at.toISOString(),
            nano,
            expiresAt: new Date(at.getTime() + HOLD_LIFETIME_MS).toISOString(),
            windows,
          });
          if (ok) {
            this.holds.add(id);
            return { ok: true };
          }
          // Other requests' holds are worst cases that usually settle lower: when this one would fit
          // without them, wait for them rather than stop the run early.
          let fitsSettled = true;
          for (const w of windows) if ((await this.ledger.windowSpend({ since: w.since })).nano + nano > w.ceilingNano) fitsSettled = false;
          if (!fitsSettled) break;
          await sleep(Math.min(HOLD_RETRY_MS * 2 ** retry, HOLD_RETRY_MAX_MS), signal);
        }
        // Name the window that is full: the one with the least room left.
        let worst = windows[0]!;
        let worstRoom = Infinity;
        let worstSpent = 0;
        for (const w of windows) {
          const spent = (await this.ledger.windowSpend({ since: w.since })).nano;
          if (w.ceilingNano - spent < worstRoom) {
            worst = w;
            worstRoom = w.ceilingNano - spent;
            worstSpent = spent;
          }
        }
        return {
          ok: false,
          pause,
          window: { kind: worst.kind, ceilingNano: worst.ceilingNano, spentNano: worstSpent, resetsAt: worst.resetsAt.toISOString() },
        };
      },
      release: (id) => {
        if (!this.holds.delete(id)) return;
        void this.write('a window hold', () => this.ledger.releaseHold(this.holdId(id)));
      },
      waitForRoom: (window, attempt, signal) => {
        // Look again at the reset, or sooner: other runs' holds end as their requests settle.
        const recheck = Math.min(RECHECK_MS * 2 ** attempt, RECHECK_MAX_MS);
        return sleep(Math.max(1_000, Math.min(Date.parse(window.resetsAt) - now().getTime(), recheck)), signal);
      },
    };
  }

  /** Reservations charged at the end because their outcome could not be read. */
  abandoned(id: string, r: Reservation, at: string): void {
    this.reservedRows.delete(id);
    // Its window hold (if any) stays until it expires; the row says so, so it is counted once.
    const holdId = this.holds.has(id) ? { holdId: this.holdId(id) } : {};
    void this.write('a request', () => this.ledger.recordRequest({ ...this.worstCase(id, r, at), ...holdId }));
  }

  action(action: BudgetAction, state: BudgetState): void {
    if (action.type === 'released' && this.reservedRows.delete(action.id)) {
      const id = action.id;
      void this.write('a released request', () => this.ledger.dropRequest(this.runId, id));
    }
    for (const a of state.approvals.slice(this.approvals)) {
      void this.write('an approval', () =>
        this.ledger.recordApproval({
          runId: this.runId,
          kind: a.kind,
          at: a.at,
          answer: a.answer,
          from: nanoToUsd(a.from),
          to: nanoToUsd(a.to),
          fromNano: a.from,
          toNano: a.to,
          ...(a.model ? { model: a.model } : {}),
        }),
      );
    }
    this.approvals = state.approvals.length;
    if (action.type === 'terminate' && !this.stopped && state.hardStop) {
      this.stopped = true;
      const { reason, at } = state.hardStop;
      void this.write('the hard stop', () => this.ledger.recordHardStop(this.runId, reason, at));
    }
  }

  /** The final record; `spentNano` is the engine's own total, stored as is (not rebuilt from the record's dollars). */
  async finish(record: RunRecord, spentNano?: Nano): Promise<void> {
    void this.write('the final record', () => this.ledger.finishRun(record, spentNano));
    this.finished = true;
    await this.writes;
    await this.ledger.close();
  }
}
