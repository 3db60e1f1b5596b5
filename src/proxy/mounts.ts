import { createUpstream } from './forward.js';
import { anthropic } from './providers/anthropic.js';
import { gemini } from './providers/gemini.js';
import { openaiChat } from './providers/openai-chat.js';
import { openaiResponses } from './providers/openai-responses.js';
import type { Provider } from './providers/types.js';
import type { Mount } from './server.js';
import type { ProxyEndpoints } from '../supervisor/agent-recipes.js';

/**
 * Each mount: the path segment under the proxy's secret, the providers it serves, the user's
 * variables that may already name an upstream (first set wins), and the public default.
 */
const MOUNTS: readonly MountSpec[] = [
  { name: 'anthropic', providers: [anthropic], vars: ['ANTHROPIC_BASE_URL', 'ANTHROPIC_HOST'], fallback: anthropic.defaultUpstream },
  {
    name: 'openai',
    providers: [openaiResponses, openaiChat],
    vars: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'],
    fallback: 'https://api.openai.com/v1',
    // Codex's own default base URL when it is logged in with ChatGPT rather than an API key.
    subscriptionFallback: 'https://chatgpt.com/backend-api/codex',
  },
  { name: 'openai-host', providers: [openaiResponses, openaiChat], vars: ['OPENAI_HOST'], fallback: 'https://api.openai.com' },
  { name: 'gemini', providers: [gemini], vars: ['GOOGLE_GEMINI_BASE_URL'], fallback: gemini.defaultUpstream },
];

interface MountSpec {
  name: string;
  providers: readonly Provider[];
  vars: readonly string[];
  fallback: string;
  subscriptionFallback?: string;
}

export class UpstreamUrlError extends Error {}

function userUpstream(env: NodeJS.ProcessEnv, vars: readonly string[]): string | null {
  for (const variable of vars) {
    const value = env[variable]?.trim();
    if (!value) continue;
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value;
    } catch {
      // fall through to the error below
    }
    throw new UpstreamUrlError(`Expected ${variable} to be an http(s) URL (capped forwards to it), got \`${value}\`.`);
  }
  return null;
}

/** The proxy's mounts, with upstreams chained to any base URL the user already set. */
export function buildMounts(env: NodeJS.ProcessEnv): Map<string, Mount> {
  return new Map(
    MOUNTS.map((m) => {
      const own = userUpstream(env, m.vars);
      const mount: Mount = { providers: m.providers, upstream: createUpstream(own ?? m.fallback) };
      if (own === null && m.subscriptionFallback) mount.subscriptionUpstream = createUpstream(m.subscriptionFallback);
      return [m.name, mount];
    }),
  );
}

/** The base URLs agents are given, for a proxy listening at `origin` (secret included). */
export function proxyEndpoints(origin: string): ProxyEndpoints {
  return {
    anthropic: `${origin}/anthropic`,
    openai: `${origin}/openai`,
    openaiHost: `${origin}/openai-host`,
    gemini: `${origin}/gemini`,
  };
}
