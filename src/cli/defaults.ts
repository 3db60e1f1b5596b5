/** capped run's timing defaults (policy defaults are in src/config/defaults.ts). */
export const DEFAULTS = {
  /** Time the agent gets to show a refusal before its tree is ended. */
  stopDelayMs: 500,
  /** Time between SIGTERM and SIGKILL when ending the agent's tree. */
  killGraceMs: 3_000,
  /** After the agent exits, how long in-flight responses may take to finish and settle. */
  drainMs: 15_000,
  /** The same, when capped was told to stop by a signal (someone is waiting for it to exit). */
  signalDrainMs: 2_000,
  /**
   * When the price data and the upstreams' pools are made if no request has needed them yet.
   * Agents take a while to send their first request (measured here: Codex 0.5–0.6 s, Claude Code
   * 1.1–1.3 s); a run whose agent has ended sooner never loads them.
   */
  warmMs: 250,
  /** How often the proxy's traffic is looked at for a quiet spell after a burst (memory-trim.ts). */
  trimCheckMs: 5_000,
} as const;
