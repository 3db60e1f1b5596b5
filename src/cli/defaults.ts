/** Every built-in default in one place (README documents each). */
export const DEFAULTS = {
  /** Dollar cap when none is given: the individual preset's per-run budget. */
  maxUsd: 1.0,
  /** Time the agent gets to show a refusal before its tree is ended. */
  stopDelayMs: 500,
  /** Time between SIGTERM and SIGKILL when ending the agent's tree. */
  killGraceMs: 3_000,
  /** After the agent exits, how long in-flight responses may take to finish and settle. */
  drainMs: 15_000,
} as const;
