import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { ConfigError, unknownKeyProblem, valueProblem } from './errors.js';
import { parsePolicyText } from './policy-file.js';
import { GROUPS, isSettingKey, SETTING_KEYS, specOf } from './schema.js';
import type { PolicyFile, SettingKey } from './types.js';
import { Invalid, UnknownKey } from './values.js';
import { usableDir } from './local-path.js';

/**
 * The user's defaults (`capped config set`), kept by `conf` as JSON in the user config directory
 * (`~/.config/capped/config.json` on Linux), or in `$CAPPED_HOME/config.json` when that is set.
 * The file has the same keys and values as a `.budgetrc`, and is validated the same way.
 */
export interface UserConfig {
  readonly path: string;
  /** The validated layer, or null when there is no user config yet. Throws ConfigError if broken. */
  read(): PolicyFile | null;
  /** The stored value of a key as written in the file, or undefined. */
  get(key: string): unknown;
  /** Validates and stores a value given as text; returns the stored value and any key it replaced. */
  set(key: string, text: string): { key: SettingKey; value: unknown; replaced: SettingKey | null };
  /** Removes a key; returns whether it was set. */
  unset(key: string): boolean;
}

/** The one store of the user config: `conf` for the location and for writing. */
function openConf(env: NodeJS.ProcessEnv): Conf<Record<string, unknown>> {
  // Checked first: conf's own recursive mkdir never returns for a path under /proc.
  if (env.CAPPED_HOME) usableDir(env.CAPPED_HOME, 'CAPPED_HOME');
  return new Conf<Record<string, unknown>>({
    projectName: 'capped',
    projectSuffix: '',
    ...(env.CAPPED_HOME ? { cwd: path.resolve(env.CAPPED_HOME) } : {}),
    // A hand-broken file is reported by read() with its line and column, never silently replaced.
    deserialize: (text: string): Record<string, unknown> => {
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch {
        return {};
      }
    },
  });
}

/** A key `capped config` accepts; anything else is a ConfigError with a did-you-mean. */
function checkKey(key: string): SettingKey {
  if (Object.hasOwn(GROUPS, key)) {
    throw new ConfigError([`"${key}" holds ${GROUPS[key]!.map((m) => `${key}.${m}`).join(', ')}; name one of them.`]);
  }
  if (!isSettingKey(key)) throw new ConfigError([unknownKeyProblem('', key, SETTING_KEYS)]);
  if (specOf(key).repoOnly) {
    throw new ConfigError([`${key}: ceilings can only be set in a .budgetrc, where they bind everyone who runs there.`]);
  }
  return key;
}

const PAIRED: Partial<Record<SettingKey, SettingKey>> = { verifyUsd: 'verifyShare', verifyShare: 'verifyUsd' };

export function openUserConfig(env: NodeJS.ProcessEnv): UserConfig {
  const conf = openConf(env);
  const file = conf.path;

  const read = (): PolicyFile | null => {
    if (!existsSync(file)) return null;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([`${file}: cannot read the user config: ${(err as Error).message}`]);
    }
    return parsePolicyText(text, { path: file, display: file, origin: 'user' });
  };

  return {
    path: file,
    read,
    get(key) {
      const k = checkKey(key);
      const entry = read()?.entries[k];
      return entry === undefined ? undefined : specOf(k).kind.toRaw(entry.value);
    },
    set(key, text) {
      const k = checkKey(key);
      const kind = specOf(k).kind;
      let value: unknown;
      try {
        value = kind.toRaw(kind.parse(kind.fromText(text)));
      } catch (err) {
        if (err instanceof Invalid) throw new ConfigError([valueProblem('', [k, ...err.at].join('.'), err.expected, err.found)]);
        if (err instanceof UnknownKey) throw new ConfigError([unknownKeyProblem('', [k, ...err.at].join('.'), err.candidates.map((c) => [k, ...err.at.slice(0, -1), c].join('.')))]);
        throw err;
      }
      read(); // a broken file is reported, not overwritten
      const other = PAIRED[k];
      const replaced = other !== undefined && conf.has(other) ? other : null;
      if (replaced !== null) conf.delete(replaced);
      conf.set(k, value);
      return { key: k, value, replaced };
    },
    unset(key) {
      const k = checkKey(key);
      read();
      if (!conf.has(k)) return false;
      conf.delete(k);
      const group = k.includes('.') ? k.split('.')[0]! : null;
      const rest = group === null ? undefined : conf.get(group);
      if (group !== null && typeof rest === 'object' && rest !== null && Object.keys(rest).length === 0) conf.delete(group);
      return true;
    },
  };
}
