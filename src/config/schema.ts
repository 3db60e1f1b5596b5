import type { PresetName, SettingKey, SettingValues } from './types.js';
import { prices } from './price-overrides.js';
import * as v from './values.js';

/** Everything capped knows about one setting: how it is validated, documented and named. */
export interface KeySpec<K extends SettingKey> {
  key: K;
  kind: v.Kind<SettingValues[K]>;
  /** One line for people: `.budgetrc` comments, `capped init`, flag help. */
  doc: string;
  /** Shown, commented out, in generated files when the setting has no default. */
  example: SettingValues[K];
  /** Whether `capped run` takes it as a flag (named by `flagName`), or the flag's own name. */
  flag: boolean | string;
  /**
   * Only a `.budgetrc` may set it. Repository ceilings bind whoever runs there: a variable, a flag
   * or a user default that could set them could also raise them.
   */
  repoOnly?: true;
}

export const PRESET_NAMES: readonly PresetName[] = ['individual', 'team', 'strict'];

type Schema = { readonly [K in SettingKey]: KeySpec<K> };

const spec = <K extends SettingKey>(s: KeySpec<K>): KeySpec<K> => s;

/** The one table of settings, in the order files and `capped config` list them. */
export const SCHEMA: Schema = {
  policy: spec({
    key: 'policy',
    kind: v.oneOf(PRESET_NAMES),
    flag: true,
    example: 'individual',
    doc: 'Preset the policy starts from: individual, team or strict.',
  }),
  maxUsd: spec({ key: 'maxUsd', kind: v.usd, flag: true, example: 1.5, doc: 'Dollar cap per run.' }),
  maxTokens: spec({ key: 'maxTokens', kind: v.tokens, flag: true, example: 200_000, doc: 'Token cap per run, all token kinds together (200000 or 200k).' }),
  maxActions: spec({ key: 'maxActions', kind: v.count, flag: true, example: 50, doc: 'Tool calls the model may ask for per run (0 forbids them all).' }),
  onLimit: spec({
    key: 'onLimit',
    kind: v.oneOf(['stop', 'ask', 'downgrade', 'pause'] as const),
    flag: true,
    example: 'stop',
    doc: 'At a limit: stop (end the agent), ask (pause and ask for more), downgrade (continue on downgradeTo), pause (wait for the next budget window).',
  }),
  downgradeTo: spec({
    key: 'downgradeTo',
    kind: v.modelId,
    flag: true,
    example: 'claude-haiku-4-5',
    doc: 'Cheaper model that onLimit: downgrade continues on, within the remaining budget.',
  }),
  model: spec({
    key: 'model',
    kind: v.modelId,
    flag: true,
    example: 'claude-sonnet-4-5',
    doc: "The run's selected model; unset, it is inferred from the first main-loop request.",
  }),
  escalation: spec({
    key: 'escalation',
    kind: v.oneOf(['ask', 'deny', 'allow'] as const),
    flag: true,
    example: 'ask',
    doc:
      'A request for a pricier model than the selected one: ask (hold it and propose a new ceiling; deny ' +
      'without a terminal), deny, or allow (within the same ceiling).',
  }),
  escalationDeny: spec({
    key: 'escalationDeny',
    kind: v.oneOf(['send-selected', 'refuse'] as const),
    flag: true,
    example: 'send-selected',
    doc: 'How a denied escalation is carried out: send-selected (send it on the selected model) or refuse.',
  }),
  reserve: spec({
    key: 'reserve',
    kind: v.oneOf(['likely', 'worst'] as const),
    flag: true,
    example: 'likely',
    doc:
      'How a request is priced before it is sent: likely (cache-aware, from what earlier requests of the ' +
      'conversation were billed; the risk taken is in the record) or worst (every input token at the ' +
      'highest rate it could be billed at).',
  }),
  idle: spec({
    key: 'idle',
    kind: v.duration,
    flag: true,
    example: 600_000,
    doc: 'No keystroke for this long and the next spending step waits for approval (90s, 10m, 1h, or off).',
  }),
  unattended: spec({
    key: 'unattended',
    kind: v.bool,
    flag: true,
    example: true,
    doc: 'Whether a run may go on with nobody present (no terminal, or idle); false refuses unattended execution.',
  }),
  keepArgs: spec({
    key: 'keepArgs',
    kind: v.bool,
    flag: true,
    example: false,
    doc: 'Keep the agent command verbatim in the ledger, the record and the logs; by default prompts become their length and keys become ***.',
  }),
  verifyUsd: spec({
    key: 'verifyUsd',
    kind: v.usd,
    flag: true,
    example: 0.5,
    doc: 'Dollar ceiling for the verification phase (tests, lint, typecheck, builds); set this or verifyShare.',
  }),
  verifyShare: spec({
    key: 'verifyShare',
    kind: v.share,
    flag: true,
    example: 0.4,
    doc: 'Verification ceiling as a share of maxUsd (0.4 or 40%); used when verifyUsd is not set.',
  }),
  verifyPatterns: spec({
    key: 'verifyPatterns',
    kind: v.regexList,
    flag: false,
    example: [],
    doc: 'Commands that switch the run to verification, as regular expressions; setting it replaces the built-in list.',
  }),
  restrictedTools: spec({
    key: 'restrictedTools',
    kind: v.toolNames,
    flag: true,
    example: ['WebSearch', 'WebFetch'],
    doc: 'Tools removed from every request before it reaches the model.',
  }),
  allowRoutes: spec({
    key: 'allowRoutes',
    kind: v.routeList,
    flag: false,
    example: ['POST /v1/audio/transcriptions'],
    doc:
      'Routes passed through unmetered that capped would otherwise refuse because it cannot price them, as ' +
      '"METHOD /path" (* stands for one path segment). Generation routes are always metered.',
  }),
  batches: spec({
    key: 'batches',
    kind: v.oneOf(['reserve', 'refuse'] as const),
    flag: false,
    example: 'reserve',
    doc:
      'Batch requests (Message Batches, OpenAI Batch), billed after the run: reserve (priced at batch ' +
      'rates and reserved in full before they are sent) or refuse.',
  }),
  'ledger.url': spec({
    key: 'ledger.url',
    kind: v.ledgerUrl,
    flag: '--ledger',
    example: 'postgres://capped@ledger.example.com/capped',
    doc: 'Team ledger on PostgreSQL that every run is recorded in; unset, runs are kept in the local data directory.',
  }),
  'loop.attempts': spec({
    key: 'loop.attempts',
    kind: v.attempts,
    flag: '--loop-attempts',
    example: 3,
    doc: 'Failing attempts in a row of the same step (same command, numbers, paths, quoting and flag order aside, same error) that make a retry loop.',
  }),
  'loop.onLoop': spec({
    key: 'loop.onLoop',
    kind: v.oneOf(['ask', 'stop', 'off'] as const),
    flag: '--on-loop',
    example: 'ask',
    doc: 'At a retry loop: ask (pause the agent and ask; stop without a terminal), stop (end the run), or off.',
  }),
  'scope.files': spec({
    key: 'scope.files',
    kind: v.filesOrOff,
    flag: '--scope-files',
    example: 200,
    doc: 'Distinct files the agent may read in a run (Read/View tools, cat, sed, head, tail, grep), or off.',
  }),
  'scope.onScope': spec({
    key: 'scope.onScope',
    kind: v.oneOf(['ask', 'stop'] as const),
    flag: '--on-scope',
    example: 'ask',
    doc: 'Past scope.files: ask (pause the agent and ask; stop without a terminal) or stop (end the run).',
  }),
  sealed: spec({
    key: 'sealed',
    kind: v.bool,
    flag: true,
    example: true,
    doc:
      'Run the agent in its own network namespace (Linux) whose only way out is capped: provider hosts ' +
      'metered, other hosts tunnelled by sealedAllow/sealedDeny.',
  }),
  sealedAllow: spec({
    key: 'sealedAllow',
    kind: v.hostPatterns,
    flag: false,
    example: ['*'],
    doc: 'Hosts a sealed run may tunnel to (* matches any characters); addresses and unmeterable model APIs need their own entry.',
  }),
  sealedDeny: spec({
    key: 'sealedDeny',
    kind: v.hostPatterns,
    flag: false,
    example: ['*.example.com'],
    doc: 'Hosts a sealed run refuses; wins over sealedAllow.',
  }),
  retentionDays: spec({ key: 'retentionDays', kind: v.days, flag: false, example: 30, doc: 'Days the run log keeps a run.' }),
  daily: spec({ key: 'daily', kind: v.usd, flag: false, example: 20, doc: 'Dollar ceiling across all runs in a day.' }),
  weekly: spec({ key: 'weekly', kind: v.usd, flag: false, example: 100, doc: 'Dollar ceiling across all runs in a week.' }),
  'ceilings.maxUsd': spec({
    key: 'ceilings.maxUsd',
    kind: v.usd,
    flag: false,
    repoOnly: true,
    example: 5,
    doc: 'Highest maxUsd anyone may set here, by flag, variable or user default.',
  }),
  'ceilings.maxTokens': spec({
    key: 'ceilings.maxTokens',
    kind: v.tokens,
    flag: false,
    repoOnly: true,
    example: 2_000_000,
    doc: 'Highest maxTokens anyone may set here.',
  }),
  'ceilings.maxActions': spec({
    key: 'ceilings.maxActions',
    kind: v.count,
    flag: false,
    repoOnly: true,
    example: 200,
    doc: 'Highest maxActions anyone may set here.',
  }),
  prices: spec({
    key: 'prices',
    kind: prices,
    flag: false,
    example: { 'my-local-model': { input: 0.2, output: 0.6, cacheRead: 0.2, cacheWrite: 0.2 } },
    doc: 'Prices in dollars per million tokens for models genai-prices does not know (cacheRead and cacheWrite default to input).',
  }),
};

/** Every setting key, in schema order. */
export const SETTING_KEYS = Object.keys(SCHEMA) as SettingKey[];

/** Keys that group settings in a file (`ledger: {url: …}`), with the settings under each. */
export const GROUPS: Readonly<Record<string, readonly string[]>> = {
  ledger: ['url'],
  ceilings: ['maxUsd', 'maxTokens', 'maxActions'],
  loop: ['attempts', 'onLoop'],
  scope: ['files', 'onScope'],
};

/** The keys a file may hold at its top level: plain settings and group names. */
export const TOP_LEVEL_KEYS: readonly string[] = [...new Set(SETTING_KEYS.map((key) => key.split('.')[0]!))];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SCHEMA, key);
}

export function specOf<K extends SettingKey>(key: K): KeySpec<K> {
  return SCHEMA[key];
}

const screamingSnake = (key: string): string =>
  key
    .replace(/\./g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase();

/** The environment variable for a key (`ledger.url` → `CAPPED_LEDGER_URL`); null for repo-only keys. */
export function envName(key: SettingKey): string | null {
  return SCHEMA[key].repoOnly ? null : `CAPPED_${screamingSnake(key)}`;
}

/** The `capped run` flag for a key (`maxUsd` → `--max-usd`, `ledger.url` → `--ledger`); null when it has none. */
export function flagName(key: SettingKey): string | null {
  const flag = SCHEMA[key].flag;
  if (typeof flag === 'string') return flag;
  return flag ? `--${screamingSnake(key).toLowerCase().replace(/_/g, '-')}` : null;
}
