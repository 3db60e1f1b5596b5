import { initialState, step, toolAskId } from './engine.js';
import type { BudgetAction, BudgetEvent, BudgetState, Caps, EnginePolicy, RequestEvent } from './types.js';

export type ActionListener = (action: BudgetAction, state: BudgetState) => void;
export type Admission = Extract<BudgetAction, { type: 'forward' | 'refuse' }>;
export type ToolVerdict = { allowed: true } | { allowed: false; message: string };

interface Waiting {
  event: RequestEvent;
  resolve: (admission: Admission | null) => void;
  /** The request priced again from what the run knows now, before it is decided again. */
  reprice: (() => RequestEvent) | undefined;
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
  /** Held tool calls (nobody at the keyboard) by request id, waiting for their answer. */
  private readonly toolWaiters = new Map<string, (verdict: ToolVerdict) => void>();

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
      if ((action.type === 'allow-tool' || action.type === 'refuse') && event.type !== 'tool-call') this.resolveTool(action);
      for (const listener of this.listeners) listener(action, state);
    }
    if (event.type !== 'request') this.retryWaiting();
    return actions;
  }

  /**
   * Decides a request: forward or refuse now, or later (in-flight requests settle, or an answer).
   * A request that waits for others is priced again by `reprice` each time it is decided again.
   */
  admit(event: RequestEvent, reprice?: () => RequestEvent): Promise<Admission | null> {
    const now = this.decide(event);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => this.waiting.set(event.id, { event, resolve, reprice }));
  }

  /**
   * One more tool call in request `id`'s response: allowed, refused, or held until someone answers
   * (nobody was at the keyboard).
   */
  toolCall(id: string, at: string, tool?: string): ToolVerdict | { hold: Promise<ToolVerdict> } {
    const actions = this.dispatch(tool === undefined ? { type: 'tool-call', id, at } : { type: 'tool-call', id, at, tool });
    const refusal = actions.find((a) => a.type === 'refuse' && a.id === id);
    if (refusal?.type === 'refuse') return { allowed: false, message: refusal.message };
    if (actions.some((a) => a.type === 'ask' && a.id === toolAskId(id))) {
      return { hold: new Promise((resolve) => this.toolWaiters.set(id, resolve)) };
    }
    return { allowed: true };
  }

  private resolveTool(action: Extract<BudgetAction, { type: 'allow-tool' | 'refuse' }>): void {
    const waiter = this.toolWaiters.get(action.id);
    if (!waiter) return;
    this.toolWaiters.delete(action.id);
    waiter(action.type === 'allow-tool' ? { allowed: true } : { allowed: false, message: action.message });
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
      if (waiter.reprice) waiter.event = waiter.reprice();
      const admission = this.decide(waiter.event);
      if (admission) this.resolve(id, admission);
    }
  }
}
