import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Conf from 'conf';
import { ConfigError, unknownKeyProblem, valueProblem } from './errors.js';
import { parsePolicyText } from './policy-file.js';
import { GROUPS, isSettingKey, SETTING_KEYS, specOf } from './schema.js';
import type { PolicyFile, SettingKey } from './types.js';
import { Invalid, UnknownKey } from './values.js';
import { usableDir } from './local-path.js';
import { importPackage } from '../import-package.js';

/**
 * The user's defaults (`capped config set`), kept by `conf` as JSON in the user config directory
 * (`~/.config/capped/config.json` on Linux), or in `$CAPPED_HOME/config.json` when that is set.
 * The file has the same keys and values as a `.budgetrc`, and is validated the same way.
 */
export interface UserConfigReader {
  readonly path: string;
  /** The validated layer, or null when there is no user config yet. Throws ConfigError if broken. */
  read(): PolicyFile | null;
  /** The stored value of a key as written in the file, or undefined. */
  get(key: string): unknown;
}

export interface UserConfig extends UserConfigReader {
  /** Validates and stores a value given as text; returns the stored value and any key it replaced. */
  set(key: string, text: string): { key: SettingKey; value: unknown; replaced: SettingKey | null };
  /** Removes a key; returns whether it was set. */
  unset(key: string): boolean;
}

/**
 * Where `conf` keeps the file (its `env-paths` config directory with no suffix), worked out here
 * so that reading it does not load `conf` (and its schema validator): only writing does.
 */
export function userConfigFile(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  // Checked first: conf's own recursive mkdir never returns for a path under /proc.
  if (env.CAPPED_HOME) return path.join(usableDir(env.CAPPED_HOME, 'CAPPED_HOME'), 'config.json');
  const dir =
    platform === 'darwin'
      ? path.join(home, 'Library', 'Preferences', 'capped')
      : platform === 'win32'
        ? path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'capped', 'Config')
        : path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'capped');
  return path.join(dir, 'config.json');
}

/**
 * Whether the file exists or could be created: the nearest existing directory above it is
 * writable. A read-only or missing home has no user config (the path is then reported as such).
 */
export function userConfigCreatable(file: string): boolean {
  let at = file;
  for (;;) {
    try {
      const stats = statSync(at);
      accessSync(at, stats.isDirectory() ? constants.W_OK | constants.X_OK : constants.R_OK);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || path.dirname(at) === at) return false;
      at = path.dirname(at);
    }
  }
}

/** The one store of the user config: `conf` for writing, loaded only when something is written. */
async function openConf(env: NodeJS.ProcessEnv): Promise<Conf<Record<string, unknown>>> {
  const file = userConfigFile(env);
  const { default: ConfStore } = await importPackage<typeof import('conf')>('conf');
  return new ConfStore<Record<string, unknown>>({
    projectName: 'capped',
    projectSuffix: '',
    ...(env.CAPPED_HOME ? { cwd: path.dirname(file) } : {}),
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

/** Reads the user config without loading `conf`: for every run and for `capped config get|list`. */
export function userConfigReader(env: NodeJS.ProcessEnv): UserConfigReader {
  const file = userConfigFile(env);
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
  };
}

/** Opens the user config for writing too (`capped config set|unset`). */
export async function openUserConfig(env: NodeJS.ProcessEnv): Promise<UserConfig> {
  const conf = await openConf(env);
  const reader = userConfigReader(env);
  const read = (): PolicyFile | null => reader.read();

  return {
    ...reader,
    path: conf.path,
    set(key, text) {
      const k = checkKey(key);
      const kind = specOf(k).kind;
      let value: unknown;
      try {
        value = kind.toRaw(kind.parse(kind.fromText(text)));
      } catch (err) {
        if (err instanceof Invalid) throw new ConfigError([valueProblem('', [k, ...err.at].join('.'), err.expected, err.found)]);
        if (err instanceof UnknownKey)
          throw new ConfigError([
            unknownKeyProblem(
              '',
              [k, ...err.at].join('.'),
              err.candidates.map((c) => [k, ...err.at.slice(0, -1), c].join('.')),
            ),
          ]);
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
