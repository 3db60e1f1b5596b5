import path from 'node:path';
import { dirsUp, findFlag, gitRoot, isObject, mergeDeep, readSettings, type Json } from './settings-files.js';
import { SettingRefusal, type AgentPlan, type Family, type Recipe, type RecipeContext, type Route } from './types.js';

/** What differs between opencode and its fork kilo: names of files, directories and variables. */
interface Flavour {
  name: string;
  /** Inline config merged over every file but the managed ones. */
  contentVar: string;
  fileVar: string;
  dirVar: string;
  disableProjectVar: string;
  /** Directory under ~/.config, and the files read there. */
  globalDir: string;
  globalFiles: readonly string[];
  /** Base names of project config files (`<name>.json`, `<name>.jsonc`), found from the cwd up. */
  projectNames: readonly string[];
  /** Config directories found from the cwd up, and the files read in each. */
  dirNames: readonly string[];
  dirFiles: readonly string[];
  /** Managed (administrator) config: outranks everything capped could set. */
  managedDir: string;
}

const OPENCODE: Flavour = {
  name: 'opencode',
  contentVar: 'OPENCODE_CONFIG_CONTENT',
  fileVar: 'OPENCODE_CONFIG',
  dirVar: 'OPENCODE_CONFIG_DIR',
  disableProjectVar: 'OPENCODE_DISABLE_PROJECT_CONFIG',
  globalDir: 'opencode',
  globalFiles: ['config.json', 'opencode.json', 'opencode.jsonc'],
  projectNames: ['opencode'],
  dirNames: ['.opencode'],
  dirFiles: ['opencode.json', 'opencode.jsonc'],
  managedDir: '/etc/opencode',
};

const KILO_FILES = ['kilo.jsonc', 'kilo.json', 'opencode.jsonc', 'opencode.json'];
const KILO: Flavour = {
  name: 'kilo',
  contentVar: 'KILO_CONFIG_CONTENT',
  fileVar: 'KILO_CONFIG',
  dirVar: 'KILO_CONFIG_DIR',
  disableProjectVar: 'KILO_DISABLE_PROJECT_CONFIG',
  globalDir: 'kilo',
  globalFiles: ['config.json', 'kilo.json', 'kilo.jsonc', 'opencode.json', 'opencode.jsonc'],
  projectNames: ['kilo', 'opencode'],
  dirNames: ['.kilocode', '.kilo', '.opencode'],
  dirFiles: KILO_FILES,
  managedDir: '/etc/kilo',
};

interface Layer {
  source: string;
  config: Json;
  managed?: boolean;
}

/** The config layers in the order the agent merges them, lowest first. */
function layersOf(ctx: RecipeContext, f: Flavour): Layer[] {
  const files: { file: string; managed?: boolean }[] = [];
  const configHome = ctx.env.XDG_CONFIG_HOME || path.join(ctx.home, '.config');
  for (const name of f.globalFiles) files.push({ file: path.join(configHome, f.globalDir, name) });
  const custom = ctx.env[f.fileVar];
  if (custom) files.push({ file: custom });
  if (!ctx.env[f.disableProjectVar]) {
    // From the worktree root down to the cwd: the nearest file is merged last and wins.
    const dirs = dirsUp(ctx.cwd, gitRoot(ctx, ctx.cwd)).reverse();
    for (const base of f.projectNames) for (const dir of dirs) for (const ext of ['json', 'jsonc']) files.push({ file: path.join(dir, `${base}.${ext}`) });
    for (const dir of dirs) for (const d of f.dirNames) for (const name of f.dirFiles) files.push({ file: path.join(dir, d, name) });
  }
  const configDir = ctx.env[f.dirVar];
  if (configDir) for (const name of f.dirFiles) files.push({ file: path.join(configDir, name) });
  const layers: Layer[] = [];
  for (const { file } of files) {
    const config = readSettings(ctx, file);
    if (config) layers.push({ source: file, config });
  }
  const content = ctx.env[f.contentVar];
  if (content) {
    try {
      const parsed = JSON.parse(content) as unknown;
      if (isObject(parsed)) layers.push({ source: f.contentVar, config: parsed });
    } catch {
      throw new SettingRefusal(`${f.contentVar} is not valid JSON; capped reads it to find where ${f.name} sends requests. Fix it, or unset it for this run.`);
    }
  }
  for (const name of f.dirFiles) {
    const file = path.join(f.managedDir, name);
    const config = readSettings(ctx, file);
    if (config) layers.push({ source: file, config, managed: true });
  }
  return layers;
}

/** AI SDK packages by wire format; a provider id of the same name uses it by default. */
const PACKAGE_FAMILY: Record<string, Family> = {
  '@ai-sdk/anthropic': 'anthropic',
  '@ai-sdk/openai': 'openai',
  '@ai-sdk/openai-compatible': 'openai',
  '@ai-sdk/google': 'gemini',
};
const BUILT_IN: Record<string, { family: Family; envVar: string; fallback: string }> = {
  anthropic: { family: 'anthropic', envVar: 'ANTHROPIC_BASE_URL', fallback: 'https://api.anthropic.com/v1' },
  openai: { family: 'openai', envVar: 'OPENAI_BASE_URL', fallback: 'https://api.openai.com/v1' },
  google: { family: 'gemini', envVar: 'GOOGLE_GENERATIVE_AI_BASE_URL', fallback: 'https://generativelanguage.googleapis.com/v1beta' },
};

/** opencode's `{env:NAME}` substitution; `{file:...}` cannot be followed before launch. */
function interpolate(value: string, env: NodeJS.ProcessEnv, setting: string): string {
  if (value.includes('{file:'))
    throw new SettingRefusal(
      `${setting} reads its value from a file ({file:...}); capped cannot follow it to see where requests go. Write the URL itself there to run under capped.`,
    );
  return value.replace(/\{env:([^}]+)\}/g, (_, name: string) => env[name] ?? '');
}

/** Which layer last set `provider.<id>.options.baseURL`, and to what. */
function baseUrlSetting(layers: readonly Layer[], id: string): { value: string; source: string; managed: boolean } | null {
  for (const layer of [...layers].reverse()) {
    const provider = isObject(layer.config.provider) ? layer.config.provider[id] : undefined;
    const options = isObject(provider) ? provider.options : undefined;
    const value = isObject(options) ? options.baseURL : undefined;
    if (typeof value === 'string') return { value, source: layer.source, managed: layer.managed === true };
  }
  return null;
}

function planOpencode(ctx: RecipeContext, f: Flavour): AgentPlan {
  const layers = layersOf(ctx, f);
  const merged = layers.reduce<Json>((acc, l) => mergeDeep(acc, l.config), {});
  const configured = isObject(merged.provider) ? merged.provider : {};
  const routes: Route[] = [];
  const routed: string[] = [];
  const unroutable: string[] = [];
  for (const id of new Set([...Object.keys(BUILT_IN), ...Object.keys(configured)])) {
    const entry = isObject(configured[id]) ? configured[id] : {};
    const npm = typeof entry.npm === 'string' ? entry.npm : undefined;
    const builtIn = BUILT_IN[id];
    const family = npm ? PACKAGE_FAMILY[npm] : builtIn?.family;
    const setting = `provider.${id}.options.baseURL`;
    const own = baseUrlSetting(layers, id);
    if (own?.managed) {
      throw new SettingRefusal(
        `${f.name}'s ${setting} is set in managed config (${own.source}), which outranks what capped can ` +
          `set, so its requests would bypass capped. Run it without that setting to use it under capped.`,
      );
    }
    if (!family) {
      unroutable.push(id);
      continue;
    }
    let upstream: string | undefined;
    let from: string;
    if (own) {
      upstream = interpolate(own.value, ctx.env, `${f.name}'s ${setting} in ${own.source}`);
      from = `${setting} in ${own.source}`;
    } else if (builtIn && (!npm || PACKAGE_FAMILY[npm] === builtIn.family)) {
      upstream = ctx.env[builtIn.envVar] || builtIn.fallback;
      from = ctx.env[builtIn.envVar] ? builtIn.envVar : `${f.name}'s default for ${id}`;
    } else {
      // An OpenAI-compatible provider without a base URL of its own is not usable by the agent either.
      unroutable.push(id);
      continue;
    }
    // The AI SDK's own rule: the bare Anthropic host means its /v1 API.
    if (family === 'anthropic' && upstream.replace(/\/+$/, '') === 'https://api.anthropic.com') upstream = 'https://api.anthropic.com/v1';
    routes.push({ family, upstream, from });
    routed.push(id);
  }
  const userEnabled = Array.isArray(merged.enabled_providers) ? new Set(merged.enabled_providers as unknown[]) : null;
  const enabled = routed.filter((id) => !userEnabled || userEnabled.has(id));
  refuseUnroutedModel(ctx, f, layers, enabled);
  return {
    routes,
    launch: ({ routes: at }) => {
      const provider: Json = {};
      routed.forEach((id, i) => {
        provider[id] = { options: { baseURL: at[i] } };
      });
      const own = layers.find((l) => l.source === f.contentVar)?.config ?? {};
      // Only providers whose requests come through capped may be used: the rest are not enabled.
      const content = mergeDeep(own, { provider, enabled_providers: enabled });
      return { argv: [...ctx.command], env: { [f.contentVar]: JSON.stringify(content) }, files: {} };
    },
    ...(unroutable.length > 0 ? { warning: `${f.name} providers capped cannot meter are turned off for this run: ${unroutable.join(', ')}.` } : {}),
  };
}

/** A model chosen by flag or config on a provider capped turns off: say so before starting. */
function refuseUnroutedModel(ctx: RecipeContext, f: Flavour, layers: readonly Layer[], enabled: readonly string[]): void {
  const flag = findFlag(ctx.command, ['-m', '--model']);
  let model: { value: string; from: string } | null = flag
    ? { value: flag.value, from: flag.inline ? ctx.command[flag.index]!.split('=')[0]! : ctx.command[flag.index]! }
    : null;
  if (!model) {
    for (const layer of [...layers].reverse()) {
      if (typeof layer.config.model === 'string') {
        model = { value: layer.config.model, from: `model in ${layer.source}` };
        break;
      }
    }
  }
  if (!model) return;
  const provider = model.value.split('/')[0]!;
  if (!enabled.includes(provider)) {
    throw new SettingRefusal(
      `${f.name} would use model "${model.value}" (${model.from}) from provider "${provider}", whose requests capped cannot meter ` +
        `(capped routes ${enabled.join(', ') || 'none'}). Choose a model of one of those, or give ` +
        `"${provider}" an "npm" of @ai-sdk/openai-compatible, @ai-sdk/anthropic or @ai-sdk/google and a ` +
        `baseURL.`,
    );
  }
}

const READS_COMMON = 'provider.<id>.{npm,options.baseURL} (with {env:...}), enabled_providers and model';

export const OPENCODE_RECIPE: Recipe = {
  id: 'opencode',
  name: 'opencode',
  executables: ['opencode', 'opencode-ai'],
  redirect: "OPENCODE_CONFIG_CONTENT (merged over the user's own): each routed provider's options.baseURL set to capped, enabled_providers limited to those",
  reads: [
    `${READS_COMMON} in ~/.config/opencode/{config,opencode}.json[c], OPENCODE_CONFIG, opencode.json[c] ` +
      `and .opencode/ from the cwd up to the git root, OPENCODE_CONFIG_DIR, OPENCODE_CONFIG_CONTENT, ` +
      `/etc/opencode`,
    '-m/--model; ANTHROPIC_BASE_URL, OPENAI_BASE_URL, GOOGLE_GENERATIVE_AI_BASE_URL',
  ],
  verified: 'end to end with opencode-ai 1.18 from npm (base URL by env and by opencode.json)',
  plan: (ctx) => planOpencode(ctx, OPENCODE),
};

export const KILO_RECIPE: Recipe = {
  id: 'kilo',
  name: 'Kilo Code CLI',
  executables: ['kilo', 'kilocode'],
  redirect: "KILO_CONFIG_CONTENT (merged over the user's own): each routed provider's options.baseURL set to capped, enabled_providers limited to those",
  reads: [
    `${READS_COMMON} in ~/.config/kilo/*.json[c], KILO_CONFIG, kilo.json[c] / opencode.json[c] and ` +
      `.kilocode/, .kilo/, .opencode/ from the cwd up to the git root, KILO_CONFIG_DIR, ` +
      `KILO_CONFIG_CONTENT, /etc/kilo`,
    '-m/--model; ANTHROPIC_BASE_URL, OPENAI_BASE_URL, GOOGLE_GENERATIVE_AI_BASE_URL',
  ],
  verified: 'end to end with @kilocode/cli 7.7 from npm (base URL by env and by kilo.json)',
  plan: (ctx) => planOpencode(ctx, KILO),
};
