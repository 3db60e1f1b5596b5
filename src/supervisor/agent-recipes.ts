import path from 'node:path';
import { CRUSH_RECIPE } from './recipes/crush.js';
import { checkGemini } from './recipes/gemini.js';
import { KILO_RECIPE, OPENCODE_RECIPE } from './recipes/opencode.js';
import { QWEN } from './recipes/qwen.js';
import type { AgentPlan, ProxyEndpoints, Recipe, RecipeContext } from './recipes/types.js';

export type { AgentPlan, Family, Launch, LaunchContext, ProxyEndpoints, Recipe, RecipeContext, Route } from './recipes/types.js';
export { SettingRefusal } from './recipes/types.js';

const LAUNCHERS = new Set(['npx', 'bunx', 'pnpx', 'node', 'bun', 'deno']);

/** Position in argv of the agent's own executable (past `npx`, `node` and their flags). */
function agentIndex(command: readonly string[]): number {
  let i = 0;
  while (i < command.length - 1 && LAUNCHERS.has(path.basename(command[i]!))) {
    i++;
    while (i < command.length - 1 && command[i]!.startsWith('-')) i++;
  }
  return i;
}

/** The command line with arguments inserted right after the agent's executable. */
export function insertArgs(command: readonly string[], extra: readonly string[]): string[] {
  if (extra.length === 0) return [...command];
  const i = agentIndex(command);
  return [...command.slice(0, i + 1), ...extra, ...command.slice(i + 1)];
}

interface SimpleSpec {
  id: string;
  name: string;
  executables: readonly string[];
  redirect: string;
  reads: readonly string[];
  verified: string;
  env: (p: ProxyEndpoints) => Record<string, string>;
  args?: (p: ProxyEndpoints) => string[];
  check?: (ctx: RecipeContext) => string | undefined;
}

/** A recipe that sets variables (and maybe arguments): the base URLs it reads are the mounts' variables. */
function simple(spec: SimpleSpec): Recipe {
  const { env, args, check, ...rest } = spec;
  return {
    ...rest,
    plan: (ctx): AgentPlan => {
      const warning = check?.(ctx);
      return {
        routes: [],
        ...(warning ? { warning } : {}),
        launch: ({ endpoints }) => ({ argv: insertArgs(ctx.command, args?.(endpoints) ?? []), env: env(endpoints), files: {} }),
      };
    },
  };
}

export const RECIPES: readonly Recipe[] = [
  simple({
    id: 'claude',
    name: 'Claude Code',
    executables: ['claude', 'claude-code'],
    redirect: 'ANTHROPIC_BASE_URL set to capped',
    reads: ['ANTHROPIC_BASE_URL'],
    env: (p) => ({ ANTHROPIC_BASE_URL: p.anthropic }),
    verified: 'end to end with @anthropic-ai/claude-code from npm',
  }),
  simple({
    id: 'codex',
    name: 'Codex CLI',
    executables: ['codex'],
    // Codex reads its base URL from config, not the environment; `-c` overrides config.
    redirect: '-c openai_base_url="<capped>" inserted after the executable (outranks config.toml); OPENAI_BASE_URL set',
    reads: ['OPENAI_BASE_URL'],
    env: (p) => ({ OPENAI_BASE_URL: p.openai }),
    args: (p) => ['-c', `openai_base_url="${p.openai}"`],
    verified: 'end to end with @openai/codex from npm',
  }),
  simple({
    id: 'gemini',
    name: 'Gemini CLI',
    executables: ['gemini'],
    redirect: 'GOOGLE_GEMINI_BASE_URL set to capped; sign-ins that ignore it are refused',
    reads: [
      'GOOGLE_GEMINI_BASE_URL',
      'GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA',
      'security.auth.selectedType in ~/.gemini/settings.json (GEMINI_CLI_HOME)',
    ],
    env: (p) => ({ GOOGLE_GEMINI_BASE_URL: p.gemini }),
    check: checkGemini,
    verified: 'end to end with @google/gemini-cli from npm (API-key sign-in)',
  }),
  QWEN,
  OPENCODE_RECIPE,
  KILO_RECIPE,
  CRUSH_RECIPE,
  simple({
    id: 'aider',
    name: 'aider',
    executables: ['aider'],
    // aider calls models through LiteLLM, which reads either name of each base URL.
    redirect: 'OPENAI_API_BASE, OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ANTHROPIC_API_BASE set to capped',
    reads: ['OPENAI_BASE_URL, OPENAI_API_BASE, ANTHROPIC_BASE_URL'],
    env: (p) => ({ OPENAI_API_BASE: p.openai, OPENAI_BASE_URL: p.openai, ANTHROPIC_BASE_URL: p.anthropic, ANTHROPIC_API_BASE: p.anthropic }),
    verified: 'variable names from aider and LiteLLM documentation; not run in tests (its .aider.conf.yml openai-api-base is not read)',
  }),
  simple({
    id: 'goose',
    name: 'goose',
    executables: ['goose'],
    redirect: 'ANTHROPIC_HOST, OPENAI_HOST set to capped',
    reads: ['ANTHROPIC_HOST, OPENAI_HOST'],
    env: (p) => ({ ANTHROPIC_HOST: p.anthropic, OPENAI_HOST: p.openaiHost }),
    verified: 'variable names from goose source (providers read ANTHROPIC_HOST, OPENAI_HOST); not run in tests (its config.yaml is not read)',
  }),
];

export const GENERIC_RECIPE: Recipe = simple({
  id: 'generic',
  name: 'any other program',
  executables: [],
  redirect: 'ANTHROPIC_BASE_URL, OPENAI_BASE_URL, OPENAI_API_BASE, GOOGLE_GEMINI_BASE_URL set to capped',
  reads: ['ANTHROPIC_BASE_URL, ANTHROPIC_HOST, OPENAI_BASE_URL, OPENAI_API_BASE, OPENAI_HOST, GOOGLE_GEMINI_BASE_URL'],
  env: (p) => ({ ANTHROPIC_BASE_URL: p.anthropic, OPENAI_BASE_URL: p.openai, OPENAI_API_BASE: p.openai, GOOGLE_GEMINI_BASE_URL: p.gemini }),
  verified: 'end to end with SDK-style fake agents',
});

function executableName(arg: string): string {
  // `@openai/codex@latest` → codex; `/usr/bin/claude` → claude; `codex.js` → codex
  const base = path.basename(arg.replace(/@[^/@]*$/, '').replace(/^@[^/]+\//, ''));
  return base.replace(/\.(c|m)?js$/, '');
}

/** Finds the recipe for a command line by its executable. */
export function recipeFor(command: readonly string[]): Recipe {
  const name = executableName(command[agentIndex(command)] ?? '');
  return RECIPES.find((r) => r.executables.includes(name)) ?? GENERIC_RECIPE;
}
