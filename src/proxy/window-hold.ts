import type { Nano } from '../budget/money.js';
import type { ProxyDeps } from './proxy-deps.js';

/** How a request's hold on the daily/weekly windows ended. */
export type WindowOutcome =
  | { type: 'held' }
  /** Refused (the window is full), or the hold itself failed: `message` says which. */
  | { type: 'refused'; message: string }
  /** `--on-limit pause`: the window may have room again; decide the request afresh. */
  | { type: 'retry' }
  /** The client left while the request waited. */
  | { type: 'gone' };

/**
 * Holds request `id`'s reservation against the windows shared by every run of the ledger. Any
 * outcome but `held` leaves no reservation behind. A hold that fails (the ledger went away)
 * refuses the request: it is never sent unmetered, and the run itself goes on.
 */
export async function holdWindow(
  deps: ProxyDeps,
  id: string,
  reservedNano: Nano,
  attempt: number,
  onWaiting: (cancel: () => void) => void,
): Promise<WindowOutcome> {
  const window = deps.window;
  if (!window) return { type: 'held' };
  const gone = new AbortController();
  onWaiting(() => gone.abort());
  const release = (): void => releaseRequest(deps, id);
  let held: Awaited<ReturnType<typeof window.hold>>;
  try {
    held = await window.hold(id, reservedNano, gone.signal);
  } catch (err) {
    release();
    if (gone.signal.aborted) return { type: 'gone' };
    return {
      type: 'refused',
      message:
        `capped: the daily/weekly ceiling could not be checked because the ledger failed (${(err as Error).message}), ` +
        `so the request was not sent. Check the ledger (capped runs), then try again.`,
    };
  }
  if (held.ok) {
    if (!gone.signal.aborted) return { type: 'held' };
    release();
    return { type: 'gone' };
  }
  if (!held.pause) {
    const actions = deps.keeper.dispatch({ type: 'window-limit', id, at: deps.now().toISOString(), window: held.window });
    const refusal = actions.find((a) => a.type === 'refuse');
    return { type: 'refused', message: refusal?.message ?? 'capped: a window ceiling is reached.' };
  }
  // --on-limit pause: the request waits at the proxy for the window to have room, then is decided
  // afresh (the agent just sees a slow response).
  release();
  deps.notify({ type: 'window-wait', window: held.window });
  await window.waitForRoom(held.window, attempt, gone.signal);
  return gone.signal.aborted ? { type: 'gone' } : { type: 'retry' };
}

/** A request ended without anything billable: its reservation and its window hold are released. */
export function releaseRequest(deps: Pick<ProxyDeps, 'keeper' | 'window'>, id: string): void {
  deps.keeper.dispatch({ type: 'release', id });
  deps.window?.release(id);
}
