import path from 'node:path';
import { SettingRefusal, type RecipeContext } from './types.js';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with comments and trailing commas (settings files of opencode, kilo, qwen-code). */
export function parseJsonc(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1')) as unknown;
}

/** A settings file as an object: null when absent; an unparsable file is named, never guessed at. */
export function readSettings(ctx: RecipeContext, file: string): Json | null {
  const text = ctx.readFile(file);
  if (text === null || text.trim() === '') return null;
  let parsed: unknown;
  try {
    parsed = parseJsonc(text);
  } catch (err) {
    throw new SettingsParseError(
      `${file} is not valid JSON (${(err as Error).message}); capped reads it to find where the agent sends requests. Fix it, or move it away for this run.`,
    );
  }
  return isObject(parsed) ? parsed : null;
}

/** A settings file capped cannot parse: where the agent sends requests is unknown, so nothing starts. */
export class SettingsParseError extends SettingRefusal {}

/** Deep merge as opencode and qwen-code do it: objects merge key by key, anything else is replaced. */
export function mergeDeep(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? mergeDeep(prev, value) : value;
  }
  return out;
}

/** The directories from `start` up to and including `stop` (or the filesystem root), nearest first. */
export function dirsUp(start: string, stop: string | null): string[] {
  const dirs: string[] = [];
  let dir = path.resolve(start);
  for (;;) {
    dirs.push(dir);
    if (dir === stop) break;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dirs;
}

/** The enclosing git working tree (a directory holding `.git`), or null. */
export function gitRoot(ctx: RecipeContext, start: string): string | null {
  for (const dir of dirsUp(start, null)) {
    if (ctx.readFile(path.join(dir, '.git', 'HEAD')) !== null || ctx.readFile(path.join(dir, '.git')) !== null) return dir;
  }
  return null;
}

/** Value of a `--flag value` or `--flag=value` argument, and where it is. */
export function findFlag(argv: readonly string[], names: readonly string[]): { index: number; value: string; inline: boolean } | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    for (const name of names) {
      if (arg === name && i + 1 < argv.length) return { index: i, value: argv[i + 1]!, inline: false };
      if (arg.startsWith(`${name}=`)) return { index: i, value: arg.slice(name.length + 1), inline: true };
    }
  }
  return null;
}

/** The command line with a flag's value replaced. */
export function replaceFlag(argv: readonly string[], flag: { index: number; inline: boolean }, value: string): string[] {
  const out = [...argv];
  if (flag.inline) out[flag.index] = `${out[flag.index]!.split('=')[0]!}=${value}`;
  else out[flag.index + 1] = value;
  return out;
}
