import type { LaunchContext, RecipeContext } from '../../../../src/supervisor/agent-recipes.js';

export const P = { anthropic: 'http://p/anthropic', openai: 'http://p/openai', openaiHost: 'http://p/openai-host', gemini: 'http://p/gemini' };

/** A recipe's view of a machine: the command, variables, and files by absolute path (JSON for objects). */
export function fakeContext(
  command: string[],
  opts: { env?: NodeJS.ProcessEnv; files?: Record<string, unknown>; cwd?: string; home?: string } = {},
): RecipeContext {
  const files = opts.files ?? {};
  return {
    command,
    env: opts.env ?? {},
    cwd: opts.cwd ?? '/work/proj',
    home: opts.home ?? '/home/u',
    readFile: (file) => {
      const content = files[file];
      if (content === undefined) return null;
      return typeof content === 'string' ? content : JSON.stringify(content);
    },
  };
}

/** capped's address for route i is http://p/route-i. */
export function at(routes: number): LaunchContext {
  return { endpoints: P, routes: Array.from({ length: routes }, (_, i) => `http://p/route-${i}`), dir: '/run' };
}
