import path from 'node:path';
import { dirsUp, gitRoot, isObject, mergeDeep, readSettings, type Json } from './settings-files.js';
import { SettingRefusal, type AgentPlan, type Family, type Recipe, type RecipeContext, type Route } from './types.js';

/** Crush's provider `type` values (catwalk) by wire format. */
const TYPE_FAMILY: Record<string, Family> = { anthropic: 'anthropic', openai: 'openai', 'openai-compat': 'openai', gemini: 'gemini' };
/** Built-in providers capped points at itself, with the base-URL style their SDKs expect. */
const BUILT_IN: Record<string, Family> = { anthropic: 'anthropic', openai: 'openai', gemini: 'gemini' };

/**
 * Crush (charmbracelet/crush, internal/config/load.go): the global crush.json (CRUSH_GLOBAL_CONFIG or
 * ~/.config/crush), then the data-dir crush.json (CRUSH_GLOBAL_DATA or ~/.local/share/crush), then
 * `.crush.json`/`crush.json` from the git root (or the cwd alone) down to the cwd, later ones
 * winning; crushrc files are shell scripts that produce config. It has no inline-config variable:
 * capped can only replace the global file (by CRUSH_GLOBAL_CONFIG), so a `base_url` anywhere that
 * outranks it, or a crushrc it cannot read, stops the run.
 */
function planCrush(ctx: RecipeContext): AgentPlan {
  const configHome = ctx.env.XDG_CONFIG_HOME || path.join(ctx.home, '.config');
  const dataHome = ctx.env.XDG_DATA_HOME || path.join(ctx.home, '.local', 'share');
  const globalDir = ctx.env.CRUSH_GLOBAL_CONFIG || path.join(configHome, 'crush');
  const globalFile = path.join(globalDir, 'crush.json');
  const dataFile = path.join(ctx.env.CRUSH_GLOBAL_DATA || path.join(dataHome, 'crush'), 'crush.json');
  const root = gitRoot(ctx, ctx.cwd);
  const projectDirs = root ? dirsUp(ctx.cwd, root).reverse() : [path.resolve(ctx.cwd)];
  const shellConfigs = [path.join(globalDir, 'crushrc'), ...projectDirs.flatMap((d) => [path.join(d, 'crushrc'), path.join(d, '.crushrc')])];
  for (const file of shellConfigs) {
    if (ctx.readFile(file) !== null) {
      throw new SettingRefusal(
        `crush reads ${file}, a shell script that can set any provider's base_url; capped cannot see where ` +
          `it sends requests. Move its settings to crush.json to run crush under capped.`,
      );
    }
  }
  const outranking = [dataFile, ...projectDirs.flatMap((d) => [path.join(d, 'crush.json'), path.join(d, '.crush.json')])];
  for (const file of outranking) {
    const providers = readSettings(ctx, file)?.providers;
    if (!isObject(providers)) continue;
    for (const [id, p] of Object.entries(providers)) {
      if (isObject(p) && typeof p.base_url === 'string' && p.base_url) {
        throw new SettingRefusal(
          `crush's providers.${id}.base_url is set in ${file}, which outranks the only file capped can replace ` +
            `for the run (the global crush.json), so requests would bypass capped. Move it to ${globalFile} to ` +
            `run crush under capped.`,
        );
      }
    }
  }
  const global = readSettings(ctx, globalFile) ?? {};
  const providers = isObject(global.providers) ? global.providers : {};
  const routes: Route[] = [];
  const custom: string[] = [];
  for (const [id, p] of Object.entries(providers)) {
    if (!isObject(p) || typeof p.base_url !== 'string' || !p.base_url || p.disable === true) continue;
    const family = (typeof p.type === 'string' ? TYPE_FAMILY[p.type] : undefined) ?? BUILT_IN[id];
    if (!family)
      throw new SettingRefusal(
        `crush's providers.${id} in ${globalFile} has type "${String(p.type)}", a wire format capped cannot meter; requests there would bypass capped.`,
      );
    if (p.base_url.includes('$'))
      throw new SettingRefusal(
        `crush's providers.${id}.base_url in ${globalFile} is resolved by crush at run time ("${p.base_url}"); write the URL itself to run crush under capped.`,
      );
    routes.push({ family, upstream: p.base_url, from: `providers.${id}.base_url in ${globalFile}` });
    custom.push(id);
  }
  return {
    routes,
    warning:
      "crush's other built-in providers (OpenRouter, Groq, Bedrock, ...) are not redirected; only " +
      'anthropic, openai, gemini and providers with a base_url in crush.json are.',
    launch: ({ endpoints, routes: at, dir }) => {
      const own: Json = {};
      const style: Record<Family, string> = { anthropic: endpoints.anthropic, openai: endpoints.openai, gemini: endpoints.gemini };
      for (const [id, family] of Object.entries(BUILT_IN)) if (!custom.includes(id)) own[id] = { base_url: style[family] };
      custom.forEach((id, i) => {
        own[id] = { base_url: at[i] };
      });
      const configDir = path.join(dir, 'crush');
      return {
        argv: [...ctx.command],
        env: { CRUSH_GLOBAL_CONFIG: configDir },
        files: { [path.join(configDir, 'crush.json')]: JSON.stringify(mergeDeep(global, { providers: own }), null, 2) },
      };
    },
  };
}

export const CRUSH_RECIPE: Recipe = {
  id: 'crush',
  name: 'Crush',
  executables: ['crush'],
  redirect: 'a copy of the global crush.json with providers.<id>.base_url set to capped, given by CRUSH_GLOBAL_CONFIG',
  reads: [
    'providers.<id>.{type,base_url} in ~/.config/crush/crush.json (CRUSH_GLOBAL_CONFIG), ' +
      '~/.local/share/crush/crush.json (CRUSH_GLOBAL_DATA), .crush.json / crush.json up to the git root; ' +
      'refuses crushrc',
  ],
  verified:
    "recipe unit tests against crush's config loader (internal/config/load.go); @charmland/crush " +
    'downloads its binary from GitHub at install, so it is not run here',
  plan: planCrush,
};
