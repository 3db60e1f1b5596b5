import type { Policy } from './types.js';

/**
 * Commands that start the verification phase, as regular expressions (JavaScript syntax, matched
 * case-sensitively anywhere in the command line). They cover the usual test runners, linters, type
 * checkers and builds across ecosystems; a `.budgetrc` that sets `verifyPatterns` replaces the list.
 */
export const DEFAULT_VERIFY_PATTERNS: readonly string[] = [
  // JavaScript / TypeScript: package scripts and the tools they usually run.
  String.raw`\b(npm|pnpm|yarn|bun)\s+(run\s+)?(test|lint|typecheck|type-check|check|build)\b`,
  String.raw`\b(vitest|jest|mocha|ava|tsc|eslint|biome|playwright\s+test|cypress\s+run)\b`,
  String.raw`\bdeno\s+(test|lint|check)\b`,
  // Python.
  String.raw`\b(pytest|tox|nox|mypy|pyright|ruff|flake8|pylint)\b(?!-)`,
  String.raw`\bpython[0-9.]*\s+-m\s+(pytest|unittest|mypy)\b`,
  // Go, Rust.
  String.raw`\bgo\s+(test|vet|build)\b|\bgolangci-lint\b`,
  String.raw`\bcargo\s+(test|check|clippy|build|nextest)\b`,
  // JVM, .NET, Swift, Elixir, Ruby, PHP.
  String.raw`\b(mvn|mvnw|gradle|gradlew)\b.*\b(test|verify|check|build)\b`,
  String.raw`\b(dotnet|swift)\s+(test|build)\b|\bmix\s+test\b`,
  String.raw`\b(rspec|rubocop|phpunit|phpstan)\b|\brake\s+test\b`,
  // Build systems and generic runners.
  String.raw`\b(make|just|bazel)\s+(test|check|lint|build)\b|\bctest\b`,
];

/**
 * The built-in policy: what applies when no flag, variable, file, user default or preset sets a
 * key. It matches the `individual` preset except `escalation`, which follows DESIGN.md's rule that
 * a pricier model is held until approved (`ask`; without a terminal `ask` acts as `deny`).
 */
export const POLICY_DEFAULTS: Policy = {
  /** $1.00 per run: the middle of the 0.50–1.50 people use for a single session. */
  maxUsd: 1.0,
  maxTokens: null,
  maxActions: null,
  /** End the agent at the cap: a limit is enforced, never a notification. */
  onLimit: 'stop',
  downgradeTo: null,
  /** Inferred from the first main-loop request (a cheaper background call never sets it). */
  model: null,
  escalation: 'ask',
  escalationDeny: 'send-selected',
  reserve: 'likely',
  /** 10 minutes without a keystroke and the next spending step waits for approval. */
  idle: 10 * 60_000,
  unattended: true,
  /** Prompts and keys in the agent command are not stored (the README says what is kept). */
  keepArgs: false,
  verifyUsd: null,
  /** Verification may spend at most 40% of the run budget. */
  verifyShare: 0.4,
  verifyPatterns: DEFAULT_VERIFY_PATTERNS,
  restrictedTools: [],
  /** None: every route capped cannot price is refused. */
  allowRoutes: [],
  /** Batches are priced at batch rates and reserved in full before they are sent. */
  batches: 'reserve',
  /** null: the embedded run log in the data directory. */
  ledger: { url: null },
  retentionDays: 30,
  daily: null,
  weekly: null,
  ceilings: { maxUsd: null, maxTokens: null, maxActions: null },
  policy: null,
  prices: {},
  /** Three failing attempts of the same step in a row are a loop; ask at a terminal, stop without one. */
  loop: { attempts: 3, onLoop: 'ask' },
  /** No limit on the files an agent reads unless a preset or file sets one. */
  scope: { files: null, onScope: 'ask' },
  sealed: false,
  /** Any host may be tunnelled, except addresses, loopback and model APIs capped cannot meter. */
  sealedAllow: ['*'],
  sealedDeny: [],
};
