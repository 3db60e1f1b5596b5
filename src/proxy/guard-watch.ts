import type { GuardFacts } from '../budget/guards.js';
import { retryStreak } from '../budget/retry-loop.js';
import { filesRead } from '../budget/scope.js';
import type { ToolStep } from '../budget/tool-steps.js';

/**
 * What the run's requests show of runaway patterns. A request's history holds its own
 * conversation's retry streak; the files read are counted across every conversation of the run
 * (subagents, and histories compacted away), so they are kept here.
 */
export class GuardWatch {
  private readonly files = new Set<string>();

  /** `cwd`: the agent's working directory, so absolute and relative paths to one file count once. */
  constructor(private readonly cwd: string | null) {}

  facts(steps: readonly ToolStep[]): GuardFacts {
    for (const step of steps) for (const file of filesRead(step, this.cwd)) this.files.add(file);
    return { loop: retryStreak(steps), filesRead: this.files.size };
  }
}
