import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { displayPath, parsePolicyText } from './policy-file.js';
import { resolvePolicy, type PolicyLayers, type ResolvedPolicy } from './resolve.js';
import type { PolicyFile } from './types.js';
import { importPackage } from '../import-package.js';

export interface WatchOptions {
  /** Messages name the file relative to this directory when it is inside it (default: absolute). */
  cwd?: string;
  /** How long a file must stay unchanged before it is read, so a half-written save is not (default 50 ms). */
  stableMs?: number;
}

/** Stops watching. */
export type CloseWatch = () => Promise<void>;

/**
 * Watches a `.budgetrc` and reads it again after every change. A valid file goes to `onChange`;
 * an invalid edit, a removed file or a watch failure goes to `onError` with the exact message, and
 * the caller keeps the policy it has. Resolves once the watch is in place.
 */
export async function watchPolicy(
  file: string,
  onChange: (loaded: PolicyFile) => void,
  onError: (error: ConfigError) => void,
  options: WatchOptions = {},
): Promise<CloseWatch> {
  const display = options.cwd === undefined ? file : displayPath(file, options.cwd);
  let last: string | null = readOrNull(file);
  const reload = (): void => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      onError(new ConfigError([`${display}: cannot read it: ${(err as Error).message}`]));
      return;
    }
    if (text === last) return;
    last = text;
    try {
      onChange(parsePolicyText(text, { path: file, display, origin: 'file' }));
    } catch (err) {
      if (err instanceof ConfigError) onError(err);
      else throw err;
    }
  };
  const stableMs = options.stableMs ?? 50;
  // Loaded here: only a run with a `.budgetrc` to watch needs chokidar.
  const { watch } = await importPackage<typeof import('chokidar')>('chokidar');
  const watcher = watch(file, {
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: stableMs, pollInterval: Math.max(5, Math.floor(stableMs / 5)) },
  });
  watcher.on('add', reload);
  watcher.on('change', reload);
  watcher.on('unlink', () => {
    last = null;
    onError(new ConfigError([`${display}: removed; the policy it set stays in force for this run.`]));
  });
  watcher.on('error', (err) => onError(new ConfigError([`${display}: cannot watch it: ${(err as Error).message}`])));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return () => watcher.close();
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Watches the `.budgetrc` of a resolved run and merges it again with the run's other layers after
 * every valid edit: `onChange` gets the new effective policy. An invalid edit, or one that breaks
 * a rule across layers (a flag now above a lowered ceiling), goes to `onError` instead.
 */
export async function watchResolvedPolicy(
  layers: Required<PolicyLayers>,
  onChange: (resolved: ResolvedPolicy) => void,
  onError: (error: ConfigError) => void,
  options: WatchOptions = {},
): Promise<CloseWatch> {
  if (layers.file === null) return () => Promise.resolve();
  return watchPolicy(
    layers.file.path,
    (file) => {
      let next: ResolvedPolicy;
      try {
        next = resolvePolicy({ ...layers, file });
      } catch (err) {
        if (err instanceof ConfigError) return onError(err);
        throw err;
      }
      onChange(next);
    },
    onError,
    options,
  );
}
