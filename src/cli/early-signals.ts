import type { EventEmitter } from 'node:events';

/** The signals `capped run` passes on to the agent's tree. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

/** `early`: the signal arrived before the agent was started, so the agent has not had it. */
export type Forward = (signal: ForwardedSignal, early: boolean) => void;

export interface HeldSignals {
  /** From now on signals go to `forward`; any that arrived before go first, in order. */
  forwardTo(forward: Forward): void;
  /** Removes the handlers (again is a no-op). */
  release(): void;
}

/**
 * Installs capped's handlers at once, when `run` starts, rather than after the proxy, the ledger
 * and the agent are up (a second or two on a loaded machine): a signal in that window would
 * otherwise kill capped with nothing recorded. Signals that arrive early are held for the agent.
 */
export function holdSignals(signals: EventEmitter): HeldSignals {
  const pending: ForwardedSignal[] = [];
  let target: Forward | null = null;
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = (): void => {
      if (target) target(signal, false);
      else pending.push(signal);
    };
    signals.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    forwardTo(forward) {
      target = forward;
      for (const signal of pending.splice(0)) forward(signal, true);
    },
    release() {
      for (const [signal, handler] of handlers) signals.off(signal, handler);
    },
  };
}
