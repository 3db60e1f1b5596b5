import { formatUsd, usdToNano } from '../budget/money.js';
import { POLICY_DEFAULTS } from './defaults.js';
import { ConfigError } from './errors.js';
import { PRESETS } from './presets.js';
import { SETTING_KEYS } from './schema.js';
import { describeSource } from './sources.js';
import type { Entry, LayerEntries, ModelPrice, Policy, PolicyFile, PresetName, SettingKey, Source } from './types.js';

/** The layers of a run's configuration, each already read and validated. */
export interface PolicyLayers {
  /** From `capped run`'s flags (`flagLayer`). */
  flags?: LayerEntries;
  /** From `CAPPED_*` variables (`envLayer`). */
  env?: LayerEntries;
  /** The `.budgetrc` that applies (`findPolicyFile` + `readPolicyFile`), if any. */
  file?: PolicyFile | null;
  /** The user defaults kept by `capped config set` (`readUserConfig`), if any. */
  user?: PolicyFile | null;
}

/**
 * Where each effective value came from, by dotted key (`maxUsd`, `ledger.url`, `ceilings.maxUsd`),
 * plus `prices.<model>` for every priced model.
 */
export type PolicySources = Readonly<Record<string, Source>>;

export interface ResolvedPolicy {
  policy: Policy;
  sources: PolicySources;
  /** The `.budgetrc` that applied, or null. */
  file: string | null;
}

type AnyEntry = Entry<SettingKey>;

const CAPPED_KEYS = ['maxUsd', 'maxTokens', 'maxActions'] as const;
type CappedKey = (typeof CAPPED_KEYS)[number];

function presetLayer(name: PresetName): LayerEntries {
  const source: Source = { kind: 'preset', preset: name };
  const entries: Record<string, AnyEntry> = {};
  for (const [key, value] of Object.entries(PRESETS[name])) entries[key] = { value, source };
  return entries;
}

function builtin(key: SettingKey): unknown {
  const [head, tail] = key.split('.') as [keyof Policy, string | undefined];
  const top = POLICY_DEFAULTS[head];
  return tail === undefined ? top : (top as unknown as Record<string, unknown>)[tail];
}

/**
 * Merges the layers: flags > environment > `.budgetrc` > user defaults > preset > built-ins. The
 * preset is the `policy` the explicit layers name. Pure: it reads nothing and throws ConfigError
 * (every problem at once) for a value above a repository ceiling, `verifyUsd` and `verifyShare`
 * set together, or `onLimit: downgrade` without `downgradeTo`.
 */
export function resolvePolicy(layers: PolicyLayers): ResolvedPolicy {
  const explicit = [layers.flags ?? {}, layers.env ?? {}, layers.file?.entries ?? {}, layers.user?.entries ?? {}];
  const problems: string[] = [];
  for (const layer of explicit) {
    if (layer.verifyUsd && layer.verifyShare) {
      problems.push(
        `${describeSource(layer.verifyUsd.source)} and ${describeSource(layer.verifyShare.source)} both set ` +
          `the verification ceiling; set verifyUsd or verifyShare, not both.`,
      );
    }
  }
  const presetName = explicit.find((layer) => layer.policy)?.policy?.value ?? null;
  const ordered = presetName === null ? explicit : [...explicit, presetLayer(presetName)];

  const values: Record<string, unknown> = {};
  const sources: Record<string, Source> = {};
  for (const key of SETTING_KEYS) {
    if (key === 'prices') continue;
    const entry = ordered.find((layer) => layer[key])?.[key] as AnyEntry | undefined;
    values[key] = entry ? entry.value : builtin(key);
    sources[key] = entry ? entry.source : { kind: 'builtin' };
  }

  // verifyUsd and verifyShare are one setting: the highest layer that sets either decides.
  const verify = ordered.find((layer) => layer.verifyUsd || layer.verifyShare);
  if (verify && !verify.verifyUsd) {
    values.verifyUsd = null;
    sources.verifyUsd = verify.verifyShare!.source;
  }

  const prices: Record<string, ModelPrice> = {};
  sources.prices = { kind: 'builtin' };
  for (const layer of [...ordered].reverse()) {
    if (!layer.prices) continue;
    sources.prices = layer.prices.source;
    for (const [model, price] of Object.entries(layer.prices.value)) {
      prices[model] = price;
      sources[`prices.${model}`] = layer.prices.source;
    }
  }
  values.prices = prices;

  for (const key of CAPPED_KEYS) applyCeiling(key, layers.file?.entries ?? {}, values, sources, problems);

  // Like its ceilings, a repository's `sealed: true` binds whoever runs there.
  const repoSealed = layers.file?.entries.sealed;
  if (repoSealed?.value === true && values.sealed === false) {
    problems.push(
      `${describeSource(sources.sealed!)} turns sealed runs off, but ${describeSource(repoSealed.source)} ` +
        `requires them in this repository; remove that setting.`,
    );
  }
  if (values.onLimit === 'downgrade' && values.downgradeTo === null) {
    problems.push(
      `onLimit is downgrade (${describeSource(sources.onLimit!)}) but no downgradeTo model is set; set ` +
        `downgradeTo (--downgrade-to <model>) or choose another onLimit.`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { policy: assemble(values), sources, file: layers.file?.path ?? null };
}

const UNIT: Record<CappedKey, (n: number) => string> = {
  maxUsd: (n) => formatUsd(usdToNano(n)),
  maxTokens: (n) => `${n} tokens`,
  maxActions: (n) => `${n} tool actions`,
};

/**
 * A repository ceiling bounds a cap. A value someone set (flag, variable, file, user default) above
 * it is an error naming the file; a preset or built-in value is lowered to it.
 */
function applyCeiling(key: CappedKey, file: LayerEntries, values: Record<string, unknown>, sources: Record<string, Source>, problems: string[]): void {
  const ceiling = file[`ceilings.${key}`];
  if (!ceiling || ceiling.source.kind !== 'file') return;
  const limit = ceiling.value;
  const value = values[key] as number | null;
  const source = sources[key]!;
  if (value !== null && value <= limit) return;
  if (source.kind === 'preset' || source.kind === 'builtin') {
    values[key] = limit;
    sources[key] = { kind: 'ceiling', file: ceiling.source.file, line: ceiling.source.line, from: source };
    return;
  }
  problems.push(
    `${whoSet(key, value!, source)} exceeds the ceiling of ${UNIT[key](limit)} set in ` +
      `${ceiling.source.file} (line ${ceiling.source.line}); lower it or change that file.`,
  );
}

function whoSet(key: CappedKey, value: number, source: Source): string {
  switch (source.kind) {
    case 'flag':
      return `${source.flag} ${value}`;
    case 'env':
      return `${source.variable}=${value}`;
    case 'file':
      return `${key} ${value} in ${source.file} (line ${source.line})`;
    case 'user':
      return `${key} ${value} in your user config (${source.file})`;
    default:
      return `${key} ${value} (${describeSource(source)})`;
  }
}

function assemble(v: Record<string, unknown>): Policy {
  const ceilings = (key: CappedKey): number | null => v[`ceilings.${key}`] as number | null;
  return {
    maxUsd: v.maxUsd as number,
    maxTokens: v.maxTokens as number | null,
    maxActions: v.maxActions as number | null,
    onLimit: v.onLimit as Policy['onLimit'],
    downgradeTo: v.downgradeTo as string | null,
    model: v.model as string | null,
    escalation: v.escalation as Policy['escalation'],
    escalationDeny: v.escalationDeny as Policy['escalationDeny'],
    reserve: v.reserve as Policy['reserve'],
    idle: v.idle as number | null,
    unattended: v.unattended as boolean,
    keepArgs: v.keepArgs as boolean,
    verifyUsd: v.verifyUsd as number | null,
    verifyShare: v.verifyShare as number,
    verifyPatterns: v.verifyPatterns as readonly string[],
    restrictedTools: v.restrictedTools as readonly string[],
    allowRoutes: v.allowRoutes as readonly string[],
    batches: v.batches as Policy['batches'],
    ledger: { url: v['ledger.url'] as string | null },
    retentionDays: v.retentionDays as number,
    daily: v.daily as number | null,
    weekly: v.weekly as number | null,
    ceilings: { maxUsd: ceilings('maxUsd'), maxTokens: ceilings('maxTokens'), maxActions: ceilings('maxActions') },
    policy: v.policy as PresetName | null,
    prices: v.prices as Policy['prices'],
    loop: { attempts: v['loop.attempts'] as number, onLoop: v['loop.onLoop'] as Policy['loop']['onLoop'] },
    scope: { files: v['scope.files'] as number | null, onScope: v['scope.onScope'] as Policy['scope']['onScope'] },
    sealed: v.sealed as boolean,
    sealedAllow: v.sealedAllow as readonly string[],
    sealedDeny: v.sealedDeny as readonly string[],
  };
}

/** The verification phase's dollar ceiling: `verifyUsd`, else `verifyShare` of `maxUsd`; never above `maxUsd`. */
export function verificationUsd(policy: Policy): number {
  if (policy.verifyUsd !== null) return Math.min(policy.verifyUsd, policy.maxUsd);
  // Rounded to whole nano-dollars, the engine's unit, so 3 × 0.4 is 1.2 and not 1.2000000000000002.
  return Math.round(policy.maxUsd * policy.verifyShare * 1e9) / 1e9;
}
