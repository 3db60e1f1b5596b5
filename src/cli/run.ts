import type { RunDeps, RunOptions } from './run-deps.js';
import { closeRun, finishRun } from './run-finish.js';
import { launchAgent, whileAgentRuns, type LaunchedAgent } from './run-launch.js';
import { setUpRun } from './run-setup.js';
import { superviseAgent } from './run-supervise.js';
import { holdSignals } from './early-signals.js';
import { LaunchError } from '../errors.js';

export type { RunDeps, RunOptions } from './run-deps.js';

/**
 * `capped run`: the one place that wires proxy, budget, supervisor, reporter and ledger together,
 * in four steps: set up (checks, ledger, proxy), launch the agent, supervise it, finish the record.
 */
export async function runCommand(command: readonly string[], opts: RunOptions, deps: RunDeps): Promise<number> {
  // First of all: a signal during start-up is held for the agent instead of killing capped. Held
  // until the record is written, so a second signal cannot end capped half-way through it.
  const signals = opts.signals ?? holdSignals(deps.signals);
  let untune: (() => void) | undefined;
  try {
    const run = await setUpRun(command, opts, deps);
    let agent: LaunchedAgent;
    try {
      agent = await launchAgent(run);
    } catch (err) {
      await closeRun(run);
      if (err instanceof LaunchError) {
        deps.stderr(`${err.message}\n`);
        return err.exitCode;
      }
      throw err;
    }
    // After start-up has loaded its chunks: while these flags are set V8 rejects the compile
    // cache's code, which was made under its defaults.
    untune = deps.tuneV8?.();
    whileAgentRuns(run, agent);
    const supervised = await superviseAgent(run, agent, signals);
    return await finishRun(run, agent, supervised);
  } finally {
    // Before the compile cache is written at exit: it is kept only under V8's default flags.
    untune?.();
    // The caller's handlers are the caller's to release (main.ts does, after the run).
    if (!opts.signals) signals.release();
  }
}
