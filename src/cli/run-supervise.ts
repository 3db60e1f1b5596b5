import { signalTree, terminateTree } from '../supervisor/terminate.js';
import type { AgentExit } from '../supervisor/spawn-agent.js';
import { DEFAULTS } from './defaults.js';
import type { HeldSignals } from './early-signals.js';
import type { LaunchedAgent } from './run-launch.js';
import type { RunSession } from './run-setup.js';

/** How the agent ended, and whether a signal from outside ended it. */
export interface Supervised {
  exit: AgentExit;
  signalled: boolean;
  /** Stops following the idle user. (Signals stay held until the record is written: see run.ts.) */
  detach(): void;
}

/**
 * Watches the agent until it exits: ends its tree at a hard stop, passes signals from outside on
 * to it, and (output piped, someone at the terminal) follows the idle user by the tty's atime.
 */
export async function superviseAgent(run: RunSession, agent: LaunchedAgent, signals: HeldSignals): Promise<Supervised> {
  const { deps, policy: p } = run;
  const stop: { done: Promise<void> | null } = { done: null };
  const stopAgent = (delayMs: number): void => {
    // Wait out the delay, or less if the agent exits first; then end whatever is left of its tree.
    stop.done ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      void agent.exited.then(() => {
        clearTimeout(timer);
        resolve();
      });
    }).then(() => terminateTree(agent.pid, { graceMs: DEFAULTS.killGraceMs, marker: agent.marker }));
  };
  // Give the agent a moment to show the refusal message before its tree is ended.
  run.keeper.onAction((action) => {
    if (action.type === 'terminate') stopAgent(DEFAULTS.stopDelayMs);
  });

  let signalled = false;
  signals.forwardTo((signal, early) => {
    // In a terminal, Ctrl-C already reached the agent (same process group): sending it again
    // would read as a double Ctrl-C, and the agent decides what Ctrl-C means. One that came
    // before the agent was started reached capped alone.
    if (signal === 'SIGINT' && deps.stdinIsTTY && !early) return;
    // From outside (kill, CI): the agent hears the signal first, then its whole tree ends the way a
    // cap stop ends it (children that ignore it, `&` jobs and setsid strays included).
    signalled = true;
    signalTree(agent.pid, signal, { graceMs: 0, marker: agent.marker });
    stopAgent(DEFAULTS.killGraceMs);
  });
  // Someone may be at the terminal without capped's PTY (output piped): idle by the tty's atime.
  const stopIdle =
    !run.interactive && deps.stdinIsTTY && p.idle !== null
      ? (await import('./run-line-idle.js')).watchIdleByAtime({ keeper: run.keeper, idleMs: p.idle, pid: agent.pid, marker: agent.marker, stderr: deps.stderr })
      : null;

  const exit = await agent.exited;
  if (stop.done) await stop.done;
  return {
    exit,
    signalled,
    detach: () => stopIdle?.(),
  };
}
