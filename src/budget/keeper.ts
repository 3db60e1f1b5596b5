import { initialState, step } from './engine.js';
import type { BudgetAction, BudgetEvent, BudgetState, Caps } from './types.js';

export type ActionListener = (action: BudgetAction, state: BudgetState) => void;
export type RequestEvent = Extract<BudgetEvent, { type: 'request' }>;
export type Admission = Extract<BudgetAction, { type: 'forward' | 'refuse' }>;

interface Waiting {
  event: RequestEvent;
  resolve: (admission: Admission | null) => void;
}

/**
 * Holds the one budget state of a run and applies events to it in order. Every request of every
 * connection goes through the same keeper, so concurrent requests reserve against one state.
 * Requests the engine defers wait here and are decided again whenever budget is freed.
 */
export class BudgetKeeper {
  private current: BudgetState;
  private readonly listeners: ActionListener[] = [];
  private waiting: Waiting[] = [];

  constructor(caps: Caps) {
    this.current = initialState(caps);
  }

  get state(): BudgetState {
    return this.current;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  onAction(listener: ActionListener): void {
    this.listeners.push(listener);
  }

  dispatch(event: BudgetEvent): BudgetAction[] {
    const { state, actions } = step(this.current, event);
    this.current = state;
    for (const action of actions) for (const listener of this.listeners) listener(action, state);
    if (event.type !== 'request') this.retryWaiting();
    return actions;
  }

  /** Decides a request: forward or refuse now, or later once in-flight requests settle. */
  admit(event: RequestEvent): Promise<Admission | null> {
    const now = this.decide(event);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => this.waiting.push({ event, resolve }));
  }

  /** Drops a waiting request whose client went away: it must never be forwarded. */
  cancel(id: string): void {
    const gone = this.waiting.filter((w) => w.event.id === id);
    this.waiting = this.waiting.filter((w) => w.event.id !== id);
    for (const w of gone) w.resolve(null);
  }

  private decide(event: RequestEvent): Admission | null {
    const actions = this.dispatch(event);
    return actions.find((a): a is Admission => (a.type === 'forward' || a.type === 'refuse') && a.id === event.id) ?? null;
  }

  private retryWaiting(): void {
    const queue = this.waiting;
    this.waiting = [];
    for (const w of queue) {
      const admission = this.decide(w.event);
      if (admission) w.resolve(admission);
      else this.waiting.push(w);
    }
  }
}
