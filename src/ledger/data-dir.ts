import os from 'node:os';
import path from 'node:path';

/** Where capped keeps its data: `CAPPED_HOME`, else the XDG data directory, else ~/.local/share. */
export function dataDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env.CAPPED_HOME) return path.resolve(env.CAPPED_HOME);
  if (env.XDG_DATA_HOME) return path.join(env.XDG_DATA_HOME, 'capped');
  return path.join(home, '.local', 'share', 'capped');
}

/** Where capped keeps what it can rebuild: `CAPPED_HOME/cache`, else the XDG cache directory, else ~/.cache. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env.CAPPED_HOME) return path.join(path.resolve(env.CAPPED_HOME), 'cache');
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'capped');
  return path.join(home, '.cache', 'capped');
}
