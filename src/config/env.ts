import { didYouMean } from './did-you-mean.js';
import { ConfigError, unknownKeyProblem, valueProblem } from './errors.js';
import { envName, SETTING_KEYS, specOf } from './schema.js';
import type { LayerEntries, SettingKey } from './types.js';
import { Invalid, UnknownKey } from './values.js';

/** Every policy variable, by name (`CAPPED_MAX_USD` → `maxUsd`). */
export const ENV_KEYS: ReadonlyMap<string, SettingKey> = new Map(
  SETTING_KEYS.flatMap((key) => {
    const name = envName(key);
    return name === null ? [] : [[name, key] as const];
  }),
);

/**
 * The environment layer: each `CAPPED_<KEY>` variable that is set and not empty. Lists take a JSON
 * array or comma-separated items, `prices` takes JSON. Every bad variable is reported at once.
 */
export function envLayer(env: NodeJS.ProcessEnv): LayerEntries {
  const entries: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [variable, key] of ENV_KEYS) {
    const text = env[variable];
    if (text === undefined || text.trim() === '') continue;
    const kind = specOf(key).kind;
    try {
      entries[key] = { value: kind.parse(kind.fromText(text)), source: { kind: 'env', variable } };
    } catch (err) {
      if (err instanceof Invalid) {
        const label = err.at.length === 0 ? '' : ` (${key}${err.at.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')})`;
        problems.push(valueProblem(`environment variable ${variable}${label}`, '', err.expected, err.found));
      } else if (err instanceof UnknownKey) {
        const parent = [key, ...err.at.slice(0, -1)].join('.');
        problems.push(
          unknownKeyProblem(
            `environment variable ${variable}`,
            `${parent}.${err.key}`,
            err.candidates.map((c) => `${parent}.${c}`),
          ),
        );
      } else {
        throw err;
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return entries;
}

/** capped's variables that are not policy settings (data directory, run marker). */
const OTHER_VARIABLES = new Set(['CAPPED_HOME', 'CAPPED_RUN_ID']);

/** Variables that look like a mistyped policy variable (`CAPPED_MAX_USDD`), each with a hint. */
export function envWarnings(env: NodeJS.ProcessEnv): string[] {
  const suffixes = [...ENV_KEYS.keys()].map((name) => name.slice('CAPPED_'.length));
  return Object.keys(env)
    .filter((name) => name.startsWith('CAPPED_') && !ENV_KEYS.has(name) && !OTHER_VARIABLES.has(name))
    .flatMap((name) => {
      const guess = didYouMean(name.slice('CAPPED_'.length), suffixes);
      return guess === null ? [] : [`environment variable ${name} is not a capped setting — did you mean CAPPED_${guess}?`];
    });
}
