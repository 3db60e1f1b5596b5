import { initialState, step } from './engine.js';
import type { BudgetAction, BudgetEvent, BudgetState, Caps, EnginePolicy, RequestEvent } from './types.js';

export type ActionListener = (action: BudgetAction, state: BudgetState) => void;
export type Admission = Extract<BudgetAction, { type: 'forward' | 'refuse' }>;

interface Waiting {
  event: RequestEvent;
  resolve: (admission: Admission | null) => void;
}

/**
 * Holds the one budget state of a run and applies events to it in order. Every request of every
 * connection goes through the same keeper, so concurrent requests reserve against one state.
 * Requests the engine defers or asks about wait here: deferred ones are decided again whenever
 * budget is freed, asked ones when their answer arrives.
 */
export class BudgetKeeper {
  private current: BudgetState;
  private readonly listeners: ActionListener[] = [];
  private waiting = new Map<string, Waiting>();

  constructor(caps: Caps, policy?: EnginePolicy) {
    this.current = initialState(caps, policy);
  }

  get state(): BudgetState {
    return this.current;
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  onAction(listener: ActionListener): void {
    this.listeners.push(listener);
  }

  dispatch(event: BudgetEvent): BudgetAction[] {
    const { state, actions } = step(this.current, event);
    this.current = state;
    for (const action of actions) {
      if ((action.type === 'forward' || action.type === 'refuse') && event.type !== 'request') this.resolve(action.id, action);
      for (const listener of this.listeners) listener(action, state);
    }
    if (event.type !== 'request') this.retryWaiting();
    return actions;
  }

  /** Decides a request: forward or refuse now, or later (in-flight requests settle, or an answer). */
  admit(event: RequestEvent): Promise<Admission | null> {
    const now = this.decide(event);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => this.waiting.set(event.id, { event, resolve }));
  }

  /** Answers the question the engine asked about request `id`. */
  answer(id: string, at: string, approve: boolean, addNano?: number): void {
    this.dispatch(addNano === undefined ? { type: 'answer', id, at, approve } : { type: 'answer', id, at, approve, addNano });
  }

  /** Drops a waiting request whose client went away: it must never be forwarded. */
  cancel(id: string): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    waiter.resolve(null);
    if (id in this.current.pending) this.dispatch({ type: 'withdraw', id });
  }

  private resolve(id: string, admission: Admission): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    waiter.resolve(admission);
  }

  private decide(event: RequestEvent): Admission | null {
    const actions = this.dispatch(event);
    return actions.find((a): a is Admission => (a.type === 'forward' || a.type === 'refuse') && a.id === event.id) ?? null;
  }

  private retryWaiting(): void {
    for (const [id, waiter] of [...this.waiting]) {
      // A request with a question outstanding waits for its answer, not for budget.
      if (id in this.current.pending || !this.waiting.has(id)) continue;
      const admission = this.decide(waiter.event);
      if (admission) this.resolve(id, admission);
    }
  }
}
