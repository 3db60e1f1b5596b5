import path from 'node:path';

/** Base URLs of capped's proxy, one per wire-format family, as agents expect them. */
export interface ProxyEndpoints {
  /** Anthropic-style base: clients append `/v1/messages`. */
  anthropic: string;
  /** OpenAI-style base, version included: clients append `/chat/completions` or `/responses`. */
  openai: string;
  /** OpenAI host without the version: clients append `/v1/...` (goose's OPENAI_HOST). */
  openaiHost: string;
  /** Gemini base: clients append `/v1beta/models/...`. */
  gemini: string;
}

export interface Recipe {
  id: string;
  /** What people call it. */
  name: string;
  /** Executable names that identify it. */
  executables: readonly string[];
  /** Environment variables set for the agent, and why. */
  env(p: ProxyEndpoints, base: NodeJS.ProcessEnv): Record<string, string>;
  /** Arguments inserted right after the executable (for agents that ignore the environment). */
  args?(p: ProxyEndpoints): string[];
  /** What `capped agents` says about how it was checked. */
  verified: string;
  /**
   * Settings under which this agent would bypass capped (talk to its provider directly), read
   * before launch: an error stops capped from starting, since spend there could not be capped.
   */
  check?(env: NodeJS.ProcessEnv, readFile: (file: string) => string | null, home: string): { error?: string; warning?: string };
}

/** Gemini CLI sign-in methods that do not use GOOGLE_GEMINI_BASE_URL, so capped cannot see them. */
const GEMINI_DIRECT_AUTH: Record<string, string> = {
  'oauth-personal': 'Login with Google',
  'vertex-ai': 'Vertex AI',
  'cloud-shell': 'Cloud Shell',
  'compute-default-credentials': 'Google Cloud default credentials',
};

function checkGemini(env: NodeJS.ProcessEnv, readFile: (file: string) => string | null, home: string): { error?: string; warning?: string } {
  const fix = 'Run it with a Gemini API key (GEMINI_API_KEY) to use it under capped.';
  if (env.GOOGLE_GENAI_USE_VERTEXAI === 'true') return { error: `Gemini CLI with GOOGLE_GENAI_USE_VERTEXAI=true talks to Vertex AI directly, so capped could not meter or cap it. ${fix}` };
  if (env.GOOGLE_GENAI_USE_GCA === 'true') return { error: `Gemini CLI with GOOGLE_GENAI_USE_GCA=true (Login with Google) talks to Google directly, so capped could not meter or cap it. ${fix}` };
  const file = path.join(env.GEMINI_CLI_HOME ?? home, '.gemini', 'settings.json');
  const text = readFile(file);
  let selected: unknown;
  try {
    // settings.json may hold // comments; strip whole-line ones before parsing.
    const parsed = text ? (JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')) as { security?: { auth?: { selectedType?: unknown } } }) : null;
    selected = parsed?.security?.auth?.selectedType;
  } catch {
    return {};
  }
  if (typeof selected === 'string' && selected in GEMINI_DIRECT_AUTH) {
    return { error: `Gemini CLI is set to sign in with ${GEMINI_DIRECT_AUTH[selected]} (security.auth.selectedType in ${file}); that traffic goes to Google directly, so capped could not meter or cap it. ${fix}` };
  }
  if (selected === undefined && env.GEMINI_API_KEY) {
    return {
      warning:
        `Gemini CLI treats a custom base URL as "gateway" sign-in and refuses it in non-interactive mode (-p) unless ${file} ` +
        `has "security": {"auth": {"selectedType": "gemini-api-key"}} (what its sign-in dialog writes when you choose an API key).`,
    };
  }
  return {};
}

function mergeOpencodeConfig(existing: string | undefined, p: ProxyEndpoints): string {
  let config: Record<string, unknown> = {};
  if (existing) {
    try {
      const parsed = JSON.parse(existing) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) config = parsed as Record<string, unknown>;
    } catch {
      // An unparsable user value is replaced: opencode could not have used it either.
    }
  }
  const providers = { ...((config.provider as Record<string, Record<string, unknown>> | undefined) ?? {}) };
  const withBase = (id: string, baseURL: string): void => {
    const entry = providers[id] ?? {};
    providers[id] = { ...entry, options: { ...((entry.options) ?? {}), baseURL } };
  };
  // opencode's providers are AI SDK providers, whose base URLs include the API version.
  withBase('anthropic', `${p.anthropic}/v1`);
  withBase('openai', p.openai);
  withBase('google', `${p.gemini}/v1beta`);
  return JSON.stringify({ ...config, provider: providers });
}

const GENERIC_ENV = (p: ProxyEndpoints): Record<string, string> => ({
  ANTHROPIC_BASE_URL: p.anthropic,
  OPENAI_BASE_URL: p.openai,
  OPENAI_API_BASE: p.openai,
  GOOGLE_GEMINI_BASE_URL: p.gemini,
});

export const RECIPES: readonly Recipe[] = [
  {
    id: 'claude',
    name: 'Claude Code',
    executables: ['claude', 'claude-code'],
    env: (p) => ({ ANTHROPIC_BASE_URL: p.anthropic }),
    verified: 'end to end with @anthropic-ai/claude-code from npm',
  },
  {
    id: 'codex',
    name: 'Codex CLI',
    executables: ['codex'],
    // Codex reads its base URL from config, not the environment; `-c` overrides config.
    env: (p) => ({ OPENAI_BASE_URL: p.openai }),
    args: (p) => ['-c', `openai_base_url="${p.openai}"`],
    verified: 'end to end with @openai/codex from npm',
  },
  {
    id: 'gemini',
    name: 'Gemini CLI',
    executables: ['gemini'],
    env: (p) => ({ GOOGLE_GEMINI_BASE_URL: p.gemini }),
    check: checkGemini,
    verified: 'end to end with @google/gemini-cli from npm (API-key sign-in)',
  },
  {
    id: 'aider',
    name: 'aider',
    executables: ['aider'],
    // aider calls models through LiteLLM, which reads either name of each base URL.
    env: (p) => ({ OPENAI_API_BASE: p.openai, OPENAI_BASE_URL: p.openai, ANTHROPIC_BASE_URL: p.anthropic, ANTHROPIC_API_BASE: p.anthropic }),
    verified: 'variable names from aider and LiteLLM documentation; not run in tests',
  },
  {
    id: 'goose',
    name: 'goose',
    executables: ['goose'],
    env: (p) => ({ ANTHROPIC_HOST: p.anthropic, OPENAI_HOST: p.openaiHost }),
    verified: 'variable names from goose source (providers read ANTHROPIC_HOST, OPENAI_HOST); not run in tests',
  },
  {
    id: 'opencode',
    name: 'opencode',
    executables: ['opencode'],
    env: (p, base) => ({ OPENCODE_CONFIG_CONTENT: mergeOpencodeConfig(base.OPENCODE_CONFIG_CONTENT, p) }),
    verified: 'from opencode documentation (OPENCODE_CONFIG_CONTENT merges over its config); not run in tests',
  },
];

export const GENERIC_RECIPE: Recipe = {
  id: 'generic',
  name: 'any other program',
  executables: [],
  env: GENERIC_ENV,
  verified: 'end to end with SDK-style fake agents',
};

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

/** The command line with the recipe's arguments inserted right after the agent's executable. */
export function applyRecipeArgs(recipe: Recipe, command: readonly string[], p: ProxyEndpoints): string[] {
  const extra = recipe.args?.(p) ?? [];
  if (extra.length === 0) return [...command];
  const i = agentIndex(command);
  return [...command.slice(0, i + 1), ...extra, ...command.slice(i + 1)];
}
