import path from 'node:path';
import { dirsUp, findFlag, isObject, mergeDeep, readSettings, replaceFlag, type Json } from './settings-files.js';
import { SettingRefusal, type AgentPlan, type Family, type Recipe, type RecipeContext, type Route } from './types.js';

/** qwen-code's auth types (`security.auth.selectedType`, `--auth-type`) and the wire format each speaks. */
const AUTH_FAMILY: Record<string, Family | null> = { openai: 'openai', anthropic: 'anthropic', gemini: 'gemini', 'vertex-ai': null, 'qwen-oauth': null };
const DIRECT = { 'vertex-ai': 'Vertex AI', 'qwen-oauth': 'Qwen OAuth' } as const;
/** The variable each auth type reads its base URL from (qwen-code's AUTH_ENV_MAPPINGS). */
const BASE_VAR: Partial<Record<Family, string>> = { openai: 'OPENAI_BASE_URL', anthropic: 'ANTHROPIC_BASE_URL' };

interface Layer {
  file: string;
  settings: Json;
}

/** qwen-code's settings files, lowest precedence first (system defaults, user, workspace, system). */
function settingsFiles(ctx: RecipeContext): { system: string; systemDefaults: string; layers: Layer[] } {
  const system = ctx.env.QWEN_CODE_SYSTEM_SETTINGS_PATH || '/etc/qwen-code/settings.json';
  const systemDefaults = ctx.env.QWEN_CODE_SYSTEM_DEFAULTS_PATH || path.join(path.dirname(system), 'system-defaults.json');
  const user = path.join(ctx.env.QWEN_HOME || path.join(ctx.home, '.qwen'), 'settings.json');
  const workspace = path.join(ctx.cwd, '.qwen', 'settings.json');
  const layers: Layer[] = [];
  for (const file of [systemDefaults, user, workspace, system]) {
    const settings = readSettings(ctx, file);
    if (settings) layers.push({ file, settings });
  }
  return { system, systemDefaults, layers };
}

/** The file that last set a setting (the one qwen-code uses), by path of keys. */
function lastSetting(layers: readonly Layer[], keys: readonly string[]): { value: unknown; file: string } | null {
  for (const layer of [...layers].reverse()) {
    let node: unknown = layer.settings;
    for (const key of keys) node = isObject(node) ? node[key] : undefined;
    if (node !== undefined) return { value: node, file: layer.file };
  }
  return null;
}

function authTypeOf(ctx: RecipeContext, layers: readonly Layer[], envOf: (name: string) => string | undefined): { type: string | undefined; from: string } {
  const flag = findFlag(ctx.command, ['--auth-type']);
  if (flag) return { type: flag.value, from: '--auth-type' };
  const selected = lastSetting(layers, ['security', 'auth', 'selectedType']);
  if (typeof selected?.value === 'string') return { type: selected.value, from: `security.auth.selectedType in ${selected.file}` };
  // qwen-code's getAuthTypeFromEnv, in its order.
  if (envOf('QWEN_OAUTH')) return { type: 'qwen-oauth', from: 'QWEN_OAUTH' };
  if (envOf('OPENAI_API_KEY') && envOf('OPENAI_MODEL') && envOf('OPENAI_BASE_URL')) return { type: 'openai', from: 'OPENAI_* variables' };
  if (envOf('GEMINI_API_KEY') && envOf('GEMINI_MODEL')) return { type: 'gemini', from: 'GEMINI_* variables' };
  if (envOf('GOOGLE_API_KEY') && envOf('GOOGLE_MODEL')) return { type: 'vertex-ai', from: 'GOOGLE_API_KEY and GOOGLE_MODEL' };
  if (envOf('ANTHROPIC_API_KEY') && envOf('ANTHROPIC_MODEL') && envOf('ANTHROPIC_BASE_URL')) return { type: 'anthropic', from: 'ANTHROPIC_* variables' };
  return { type: undefined, from: '' };
}

/** The .env file qwen-code loads (its findEnvFile): `.qwen/.env` or `.env` from the cwd up, or the home ones. */
function envFile(ctx: RecipeContext): { file: string; values: Record<string, string> } | null {
  const qwenHome = ctx.env.QWEN_HOME || path.join(ctx.home, '.qwen');
  const homeCandidates = [path.join(qwenHome, '.env'), path.join(ctx.home, '.qwen', '.env'), path.join(ctx.home, '.env')];
  const candidates: string[] = [];
  let visitedHome = false;
  for (const dir of dirsUp(ctx.cwd, null)) {
    if (dir === ctx.home) {
      visitedHome = true;
      candidates.push(...homeCandidates);
    } else {
      candidates.push(path.join(dir, '.qwen', '.env'), path.join(dir, '.env'));
    }
  }
  if (!visitedHome) candidates.push(...homeCandidates);
  for (const file of candidates) {
    const text = ctx.readFile(file);
    if (text !== null) return { file, values: parseDotenv(text) };
  }
  return null;
}

/** `KEY=value` lines (optionally `export`ed, quoted, with `#` comments), as dotenv reads them. */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^(['"`])([\s\S]*)\1$/.exec(value);
    value = quoted ? quoted[2]! : value.replace(/\s+#.*$/, '');
    values[m[1]!] = value;
  }
  return values;
}

interface ProviderEntry {
  key: string;
  index: number;
  entry: Json;
}

/**
 * qwen-code: its base URL comes from, highest first, the selected `modelProviders` entry's
 * `baseUrl`, `--openai-base-url`, OPENAI_BASE_URL / ANTHROPIC_BASE_URL (also from the settings'
 * `env`), then `security.auth.baseUrl`. Flags are rewritten on the command line; settings through
 * a system settings file (QWEN_CODE_SYSTEM_SETTINGS_PATH), which outranks user and workspace ones.
 */
function planQwen(ctx: RecipeContext): AgentPlan {
  const { system, systemDefaults, layers } = settingsFiles(ctx);
  const merged = layers.reduce<Json>((acc, l) => mergeDeep(acc, l.settings), {});
  const settingsEnv = isObject(merged.env) ? merged.env : {};
  const dotenv = envFile(ctx);
  // What qwen-code's process environment will hold: the real one, then its .env file, then the
  // settings' `env` block, each filling only what is unset.
  const fileEnv = (name: string): { value: string; from: string } | null => {
    const fromDotenv = dotenv?.values[name];
    if (fromDotenv) return { value: fromDotenv, from: `${name} in ${dotenv.file}` };
    const fromSettings = settingsEnv[name];
    return typeof fromSettings === 'string' && fromSettings ? { value: fromSettings, from: `env.${name} in qwen-code settings` } : null;
  };
  const envOf = (name: string): string | undefined => ctx.env[name] || fileEnv(name)?.value;
  const auth = authTypeOf(ctx, layers, envOf);
  const fix = 'Use an API key with --auth-type openai, anthropic or gemini to run it under capped.';
  if (auth.type === 'qwen-oauth' || auth.type === 'vertex-ai') {
    throw new SettingRefusal(
      `qwen-code is set to use ${DIRECT[auth.type]} (${auth.from}); that traffic goes to the provider directly, so capped could not meter or cap it. ${fix}`,
    );
  }
  const family: Family = (auth.type && AUTH_FAMILY[auth.type]) || 'openai';
  const routes: Route[] = [];
  const route = (r: Route): number => routes.push(r) - 1;

  const flag = findFlag(ctx.command, ['--openai-base-url']);
  const flagRoute = flag ? route({ family, upstream: flag.value, from: '--openai-base-url' }) : null;

  // A base URL in a .env file or the settings' `env` block is used only when the variable is not
  // set: capped sets the variable, so that value becomes an upstream of its own.
  const envRoutes = new Map<string, number>();
  for (const [fam, name] of Object.entries(BASE_VAR) as [Family, string][]) {
    const found = ctx.env[name] ? null : fileEnv(name);
    if (found) envRoutes.set(name, route({ family: fam, upstream: found.value, from: found.from }));
  }

  const authBase = lastSetting(layers, ['security', 'auth', 'baseUrl']);
  const authBaseRoute =
    typeof authBase?.value === 'string' && authBase.value
      ? route({ family, upstream: authBase.value, from: `security.auth.baseUrl in ${authBase.file}` })
      : null;

  const { providers, providerRoutes } = modelProviderRoutes(layers, merged, route);

  return {
    routes,
    launch: ({ endpoints, routes: at, dir }) => {
      const argv = flag && flagRoute !== null ? replaceFlag(ctx.command, flag, at[flagRoute]!) : [...ctx.command];
      const env: Record<string, string> = {
        OPENAI_BASE_URL: endpoints.openai,
        ANTHROPIC_BASE_URL: endpoints.anthropic,
        GOOGLE_GEMINI_BASE_URL: endpoints.gemini,
      };
      for (const [name, i] of envRoutes) env[name] = at[i]!;
      const files: Record<string, string> = {};
      if (providerRoutes.size > 0 || authBaseRoute !== null) {
        const own: Json = { modelProviders: rewrittenProviders(providers, providerRoutes, at) };
        if (authBaseRoute !== null) own.security = { auth: { baseUrl: at[authBaseRoute] } };
        const existing = layers.find((l) => l.file === system)?.settings ?? {};
        const file = path.join(dir, 'qwen-system-settings.json');
        files[file] = JSON.stringify(mergeDeep(existing, own), null, 2);
        env.QWEN_CODE_SYSTEM_SETTINGS_PATH = file;
        // Its system defaults are found next to the system settings unless named.
        env.QWEN_CODE_SYSTEM_DEFAULTS_PATH = systemDefaults;
      }
      return { argv, env, files };
    },
  };
}

/**
 * Every `modelProviders` entry, and a route for each one with a `baseUrl` of a family capped
 * meters. An entry of a kind that talks to its provider directly is refused.
 */
function modelProviderRoutes(
  layers: readonly Layer[],
  merged: Json,
  route: (r: Route) => number,
): { providers: ProviderEntry[]; providerRoutes: Map<ProviderEntry, number> } {
  const providers: ProviderEntry[] = [];
  const providerRoutes = new Map<ProviderEntry, number>();
  const providersSetting = isObject(merged.modelProviders) ? merged.modelProviders : {};
  for (const [key, list] of Object.entries(providersSetting)) {
    if (!Array.isArray(list)) continue;
    const fam = AUTH_FAMILY[key];
    const where = lastSetting(layers, ['modelProviders', key])?.file ?? 'qwen-code settings';
    list.forEach((entry: unknown, index) => {
      if (!isObject(entry)) return;
      const p = { key, index, entry };
      providers.push(p);
      const from = `modelProviders.${key}[${index}]`;
      if (fam === null) {
        throw new SettingRefusal(
          `qwen-code's ${from} (in ${where}) uses ${DIRECT[key as keyof typeof DIRECT]}, which talks to the ` +
            `provider directly, so capped could not meter or cap it. Remove it to run under capped.`,
        );
      }
      if (fam && typeof entry.baseUrl === 'string' && entry.baseUrl) {
        providerRoutes.set(p, route({ family: fam, upstream: entry.baseUrl, from: `${from}.baseUrl in ${where}` }));
      }
    });
  }
  return { providers, providerRoutes };
}

/** The `modelProviders` setting with each routed entry's `baseUrl` pointed at capped. */
function rewrittenProviders(providers: ProviderEntry[], providerRoutes: Map<ProviderEntry, number>, at: readonly string[]): Json {
  const rewritten: Json = {};
  for (const p of providers) {
    const list = (rewritten[p.key] ??= []) as unknown[];
    const i = providerRoutes.get(p);
    list[p.index] = i === undefined ? p.entry : { ...p.entry, baseUrl: at[i] };
  }
  return rewritten;
}

export const QWEN: Recipe = {
  id: 'qwen',
  name: 'qwen-code',
  executables: ['qwen', 'qwen-code'],
  redirect:
    '--openai-base-url rewritten on the command line; OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ' +
    'GOOGLE_GEMINI_BASE_URL set; modelProviders and security.auth.baseUrl rewritten in a system settings ' +
    'file (QWEN_CODE_SYSTEM_SETTINGS_PATH)',
  reads: [
    '--openai-base-url, --auth-type',
    'modelProviders.<authType>[].baseUrl, security.auth.{selectedType,baseUrl}, env in .qwen/settings.json, ~/.qwen/settings.json (QWEN_HOME), system settings',
    'OPENAI_BASE_URL, ANTHROPIC_BASE_URL (also from the .env file it loads: .qwen/.env or .env from the cwd up, ~/.qwen/.env, ~/.env)',
  ],
  verified: 'end to end with @qwen-code/qwen-code 0.15 from npm (base URL by env, by --openai-base-url and by modelProviders in .qwen/settings.json)',
  plan: planQwen,
};
