/** What a run does when it reaches a limit: end the agent, ask for more, switch model, or wait. */
export type OnLimit = 'stop' | 'ask' | 'downgrade' | 'pause';

/** What happens to a request for a pricier model than the run's selected one. */
export type Escalation = 'ask' | 'deny' | 'allow';

/** How a denied escalation is carried out: sent on the selected model instead, or refused. */
export type EscalationDeny = 'send-selected' | 'refuse';
export type Reserve = 'likely' | 'worst';

export type PresetName = 'individual' | 'team' | 'strict';

/** What a retry loop (the same step failing again and again) does: ask, stop the run, or nothing. */
export type OnLoop = 'ask' | 'stop' | 'off';

/** What happens when the agent has read more files than the scope limit. */
export type OnScope = 'ask' | 'stop';

/** What happens to a batch request (Message Batches, OpenAI Batch): reserved in full, or refused. */
export type Batches = 'reserve' | 'refuse';

/** A price override in dollars per million tokens, for a model genai-prices does not know. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Omitted in a file: charged at the input price (never cheaper than it may really be). */
  cacheRead: number;
  /** Omitted in a file: charged at the input price. */
  cacheWrite: number;
}

/** Ceilings a repository's `.budgetrc` puts on the run caps; null means that cap is not bounded. */
export interface Ceilings {
  maxUsd: number | null;
  maxTokens: number | null;
  maxActions: number | null;
}

/** The effective policy of a run, every layer merged. src/config/defaults.ts documents each default. */
export interface Policy {
  /** Dollar cap per run. */
  maxUsd: number;
  /** Token cap per run, all token kinds together; null = not capped. */
  maxTokens: number | null;
  /** Tool calls the model may ask for per run; null = not capped. */
  maxActions: number | null;
  onLimit: OnLimit;
  /** The cheaper model `onLimit: downgrade` continues on; required by it. */
  downgradeTo: string | null;
  /** The run's selected model; null = inferred from the first main-loop request. */
  model: string | null;
  escalation: Escalation;
  escalationDeny: EscalationDeny;
  /** How input is priced before a request is sent: cache-aware, or every token at its highest rate. */
  reserve: Reserve;
  /** Idle window in milliseconds (no keystroke → the next spending step waits); null = off. */
  idle: number | null;
  /** Whether the run may go on without a person present (no TTY, or idle). */
  unattended: boolean;
  /** Store the agent command verbatim (else prompts and keys in it are redacted). */
  keepArgs: boolean;
  /** Verification ceiling in dollars; when null, `verifyShare` of `maxUsd` applies. */
  verifyUsd: number | null;
  /** Verification ceiling as a share of `maxUsd` (0 < share ≤ 1). */
  verifyShare: number;
  /** Regular expressions (JavaScript syntax) for commands that start the verification phase. */
  verifyPatterns: readonly string[];
  /** Tools removed from every request before it reaches the model. */
  restrictedTools: readonly string[];
  /** Routes (`POST /v1/files`) passed through unmetered though capped would refuse them. */
  allowRoutes: readonly string[];
  /** Batch requests (billed after the run): reserved in full at batch rates, or refused. */
  batches: Batches;
  ledger: { url: string | null };
  /** Days the run log keeps a run. */
  retentionDays: number;
  /** Dollar ceiling across all runs in a day / a week; null = none. */
  daily: number | null;
  weekly: number | null;
  ceilings: Ceilings;
  /** The preset the policy started from, if any. */
  policy: PresetName | null;
  /** Price overrides by model id. */
  prices: Readonly<Record<string, ModelPrice>>;
  /** The retry-loop guard: failing attempts in a row of one step, and what happens then. */
  loop: { attempts: number; onLoop: OnLoop };
  /** The scope guard: distinct files the agent may read (null = no limit), and what happens past them. */
  scope: { files: number | null; onScope: OnScope };
  /** Run the agent in its own network namespace whose only way out is capped (Linux). */
  sealed: boolean;
  /** Hosts a sealed run may tunnel to (`*` wildcards); provider hosts are always metered. */
  sealedAllow: readonly string[];
  /** Hosts a sealed run refuses; wins over sealedAllow. */
  sealedDeny: readonly string[];
}

/**
 * Every setting a layer can hold, by its dotted key. A layer holds only what it sets; values are
 * already validated and normalised (idle in milliseconds, dollars as numbers).
 */
export interface SettingValues {
  maxUsd: number;
  maxTokens: number;
  maxActions: number;
  onLimit: OnLimit;
  downgradeTo: string;
  model: string;
  escalation: Escalation;
  escalationDeny: EscalationDeny;
  reserve: Reserve;
  idle: number | null;
  unattended: boolean;
  keepArgs: boolean;
  verifyUsd: number;
  verifyShare: number;
  verifyPatterns: readonly string[];
  restrictedTools: readonly string[];
  allowRoutes: readonly string[];
  batches: Batches;
  'ledger.url': string;
  retentionDays: number;
  daily: number;
  weekly: number;
  'ceilings.maxUsd': number;
  'ceilings.maxTokens': number;
  'ceilings.maxActions': number;
  policy: PresetName;
  prices: Readonly<Record<string, ModelPrice>>;
  'loop.attempts': number;
  'loop.onLoop': OnLoop;
  'scope.files': number | null;
  'scope.onScope': OnScope;
  sealed: boolean;
  sealedAllow: readonly string[];
  sealedDeny: readonly string[];
}

export type SettingKey = keyof SettingValues;

/** Where an effective value came from. */
export type Source =
  | { kind: 'flag'; flag: string }
  | { kind: 'env'; variable: string }
  | { kind: 'file'; file: string; line: number; column: number }
  | { kind: 'user'; file: string; line: number; column: number }
  | { kind: 'preset'; preset: PresetName }
  | { kind: 'builtin' }
  /** A preset or built-in value lowered to a repository ceiling; `from` is where it came from. */
  | { kind: 'ceiling'; file: string; line: number; from: Source };

export interface Entry<K extends SettingKey> {
  value: SettingValues[K];
  source: Source;
}

/** The settings one layer (flags, environment, a file, a preset) holds, each with its source. */
export type LayerEntries = { [K in SettingKey]?: Entry<K> };

/** A validated configuration file: a `.budgetrc` or the user config. */
export interface PolicyFile {
  path: string;
  entries: LayerEntries;
}
