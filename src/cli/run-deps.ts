import type { EventEmitter } from 'node:events';
import type { LoadedPolicy } from '../config/index.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { SpawnFn } from '../supervisor/spawn-agent.js';
import type { HeldSignals } from './early-signals.js';

export interface RunOptions {
  /** The effective policy: flags, environment, .budgetrc, user defaults, preset, built-ins. */
  policy: LoadedPolicy;
  record: string | null;
  /** `--summary-html`: the run's page is written here at the end. */
  summaryHtml?: string | null;
  /** capped's signal handlers, installed when `run` started (installed here when absent). */
  signals?: HeldSignals;
}

/** What `capped run` takes from the outside world; tests pass fakes. */
export interface RunDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: (text: string) => void;
  /** Whether capped's stdin is a terminal (the terminal then delivers Ctrl-C to the agent itself). */
  stdinIsTTY: boolean;
  /** With stdin, whether capped runs the agent in a PTY under the live budget bar. */
  stdoutIsTTY?: boolean;
  stderrIsTTY: boolean;
  now: () => Date;
  /** Where process signals arrive (the real `process` in production). */
  signals: EventEmitter;
  spawn?: SpawnFn;
  prices?: PriceBook;
  /**
   * Sets V8 for a long run: the heap kept small (memory-trim.ts), hot code optimized sooner
   * (v8-tiering.ts). Returns what puts V8's defaults back at the end of the run; only the real
   * CLI's process.
   */
  tuneV8?: () => () => void;
}
