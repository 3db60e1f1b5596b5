import { searchPolicyFile } from './discover.js';
import { envLayer, envWarnings } from './env.js';
import { ConfigError } from './errors.js';
import { readPolicyFile } from './policy-file.js';
import { resolvePolicy, type PolicyLayers, type ResolvedPolicy } from './resolve.js';
import type { LayerEntries, PolicyFile } from './types.js';
import { userConfigCreatable, userConfigReader } from './user-config.js';

export interface LoadOptions {
  /** Where the `.budgetrc` search starts. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The flag layer (`flagLayer(commanderOptions)`); none for `capped config`. */
  flags?: LayerEntries;
}

export interface LoadedPolicy extends ResolvedPolicy {
  /** The layers it was merged from: hand them back to `resolvePolicy` when the file changes. */
  layers: Required<PolicyLayers>;
  /** Non-fatal notes for stderr (e.g. a `CAPPED_*` variable that looks mistyped). */
  warnings: string[];
  /** Where `capped config set` keeps user defaults. */
  userConfigPath: string | null;
}

/** Errors that mean "no user config can exist here" (a read-only or missing home), not a broken one. */
const UNAVAILABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR']);

/** The user config layer, or null when there is none (or its directory cannot be created). */
export function readUserConfig(env: NodeJS.ProcessEnv): { file: PolicyFile | null; path: string | null } {
  try {
    const user = userConfigReader(env);
    const file = user.read();
    // Like conf, which creates the file when it is opened: no directory to create it in, no user config.
    return file === null && !userConfigCreatable(user.path) ? { file: null, path: null } : { file, path: user.path };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (UNAVAILABLE.has((err as NodeJS.ErrnoException).code ?? '')) return { file: null, path: null };
    throw err;
  }
}

/**
 * Reads every layer for a run in `cwd` (environment, the `.budgetrc` found walking up, the user
 * config) and merges them with the flags. Problems in several layers are reported together; any
 * problem throws ConfigError (exit 2) before anything starts.
 */
export function loadPolicy(options: LoadOptions): LoadedPolicy {
  const problems: string[] = [];
  const attempt = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return fallback;
    }
  };
  const env = attempt(() => envLayer(options.env), {});
  const search = searchPolicyFile(options.cwd);
  const found = search.file;
  const file = found === null ? null : attempt(() => readPolicyFile(found, options.cwd), null);
  const user = attempt(() => readUserConfig(options.env), { file: null, path: null });
  if (problems.length > 0) throw new ConfigError(problems);
  const layers = { flags: options.flags ?? {}, env, file, user: user.file };
  return { ...resolvePolicy(layers), layers, warnings: [...search.notFiles.map(notAFileWarning), ...envWarnings(options.env)], userConfigPath: user.path };
}

function notAFileWarning(entry: string): string {
  return `${entry} is not a file (a directory?), so it is not read as a policy: make it a YAML or JSON file, or remove it`;
}
