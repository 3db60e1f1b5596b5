import type { PresetName, SettingValues } from './types.js';

/** The settings a preset fixes; everything it leaves out comes from the built-ins. */
export type PresetSettings = Partial<SettingValues>;

/**
 * Policy presets (`--policy`, `policy:` in a file), taken from how people budget agent sessions.
 * A preset sits below every explicit layer: a flag, variable, `.budgetrc` or user default wins.
 */
export const PRESETS: Readonly<Record<PresetName, PresetSettings>> = {
  /**
   * One developer on their own machine: $1.00 per run (people use 0.50–1.50), a hard stop at the
   * cap, no automatic model escalation, a pause after 10 minutes without input, and verification
   * at most 40% of the run budget.
   */
  individual: {
    maxUsd: 1.0,
    onLimit: 'stop',
    escalation: 'deny',
    idle: 10 * 60_000,
    verifyShare: 0.4,
  },
  /**
   * A team sharing a repository and a bill: $3.00 per run (1–5 depending on the repository and
   * the model mix), approval required to go past the cap, escalation only with confirmation, and
   * the run log kept 30 days for the weekly review of the top sessions (`capped report`).
   */
  team: {
    maxUsd: 3.0,
    onLimit: 'ask',
    escalation: 'ask',
    retentionDays: 30,
    // A task that needs more than 200 distinct files read is rare; past that, somebody is asked.
    'scope.files': 200,
  },
  /**
   * High-sensitivity repositories: a lower cap, no unattended execution, no escalation between
   * model tiers, and restricted tools. A shorter idle window (5 minutes) goes with "somebody is
   * watching". The restricted tools are the web tools: they send text derived from the code to a
   * third party (search queries, fetched URLs), pull untrusted pages into the context (prompt
   * injection), and server-side search is billed per call outside token accounting. The names
   * cover Anthropic's server tools (`web_search`, `web_fetch`), Claude Code's client tools
   * (`WebSearch`, `WebFetch`), OpenAI's hosted `web_search_preview` and Gemini's `google_search`.
   * The run is sealed (Linux): whatever the agent's own settings say, it cannot reach a provider
   * except through the meter.
   */
  strict: {
    maxUsd: 0.5,
    onLimit: 'stop',
    unattended: false,
    escalation: 'deny',
    // Nothing taken on trust: every input token is reserved at the highest rate it could cost.
    reserve: 'worst',
    idle: 5 * 60_000,
    restrictedTools: ['web_search', 'web_fetch', 'WebSearch', 'WebFetch', 'web_search_preview', 'google_search'],
    // No route around the meter: the agent's tree can only reach the network through capped.
    sealed: true,
    // Weak scope is stopped early: 80 distinct files read, and the run stops (no unattended asking).
    'scope.files': 80,
    'scope.onScope': 'stop',
  },
};
