import { createUpstream } from './forward.js';
import { anthropic } from './providers/anthropic.js';
import { gemini } from './providers/gemini.js';
import { openaiChat } from './providers/openai-chat.js';
import { openaiResponses } from './providers/openai-responses.js';
import type { Provider } from './providers/types.js';
import type { Mount } from './proxy-deps.js';
import type { Family, ProxyEndpoints, Route } from '../model/endpoints.js';

export const FAMILY_PROVIDERS: Record<Family, readonly Provider[]> = {
  anthropic: [anthropic],
  openai: [openaiResponses, openaiChat],
  gemini: [gemini],
};

/**
 * Each mount: the path segment under the proxy's secret, the providers it serves, the user's
 * variables that may already name an upstream (first set wins), and the public default.
 */
const MOUNTS: readonly MountSpec[] = [
  { name: 'anthropic', family: 'anthropic', vars: ['ANTHROPIC_BASE_URL', 'ANTHROPIC_HOST'], fallback: anthropic.defaultUpstream },
  {
    name: 'openai',
    family: 'openai',
    vars: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'],
    fallback: 'https://api.openai.com/v1',
    // Codex's own default base URL when it is logged in with ChatGPT rather than an API key.
    subscriptionFallback: 'https://chatgpt.com/backend-api/codex',
  },
  { name: 'openai-host', family: 'openai', vars: ['OPENAI_HOST'], fallback: 'https://api.openai.com' },
  { name: 'gemini', family: 'gemini', vars: ['GOOGLE_GEMINI_BASE_URL'], fallback: gemini.defaultUpstream },
];

interface MountSpec {
  name: string;
  family: Family;
  vars: readonly string[];
  fallback: string;
  subscriptionFallback?: string;
}

export class UpstreamUrlError extends Error {}

function checkUrl(value: string, setting: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // fall through to the error below
  }
  throw new UpstreamUrlError(`Expected ${setting} to be an http(s) URL (capped forwards to it), got \`${value}\`.`);
}

function userUpstream(env: NodeJS.ProcessEnv, vars: readonly string[]): string | null {
  for (const variable of vars) {
    const value = env[variable]?.trim();
    if (value) return checkUrl(value, variable);
  }
  return null;
}

/** The version segment each wire format's paths start with when the base URL is a bare host. */
const VERSION: Record<Family, string> = { anthropic: '/v1', openai: '/v1', gemini: '/v1beta' };
/** Paths AI-SDK agents send without the version (their base URL holds it); OpenAI bases are opaque. */
const UNVERSIONED: Record<Family, RegExp | null> = { anthropic: /^\/messages(?=[/?]|$)/, openai: null, gemini: /^\/(?:models|tunedModels)\// };

/**
 * Request paths as the upstream needs them. A base URL that already ends in the version
 * (`ANTHROPIC_BASE_URL=https://gw/v1`, as AI-SDK agents want it) is not chained to `/v1/v1/...` by
 * an agent that appends the full path; a bare host (a public default) gets the version an AI-SDK
 * agent leaves out (`/messages` → `/v1/messages`), as the AI SDK itself does for it. Anything
 * else goes through as the agent sent it.
 */
export function pathFixer(family: Family, upstream: string): (pathAndQuery: string) => string {
  const version = VERSION[family];
  const basePath = new URL(upstream).pathname.replace(/\/+$/, '');
  return (pathAndQuery) => {
    const startsWithVersion = pathAndQuery === version || pathAndQuery.startsWith(`${version}/`) || pathAndQuery.startsWith(`${version}?`);
    if (basePath.endsWith(version) && startsWithVersion) return pathAndQuery.slice(version.length) || '/';
    if (basePath === '' && UNVERSIONED[family]?.test(pathAndQuery)) return `${version}${pathAndQuery}`;
    return pathAndQuery;
  };
}

function mountFor(family: Family, upstream: string): Mount {
  return { providers: FAMILY_PROVIDERS[family], upstream: createUpstream(upstream), fixPath: pathFixer(family, upstream) };
}

/** Mount name of the i-th route an agent recipe found in the agent's own settings. */
export function routeMountName(i: number): string {
  return `route-${i}`;
}

/**
 * The proxy's mounts, with upstreams chained to any base URL the user already set, plus one mount
 * per base URL the agent's own settings name (its flags, settings files).
 */
export function buildMounts(env: NodeJS.ProcessEnv, routes: readonly Route[] = []): Map<string, Mount> {
  const mounts = new Map<string, Mount>(
    MOUNTS.map((m) => {
      const own = userUpstream(env, m.vars);
      const mount = mountFor(m.family, own ?? m.fallback);
      if (own === null && m.subscriptionFallback) mount.subscriptionUpstream = createUpstream(m.subscriptionFallback);
      return [m.name, mount];
    }),
  );
  routes.forEach((r, i) => mounts.set(routeMountName(i), mountFor(r.family, checkUrl(r.upstream.trim(), r.from))));
  return mounts;
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

/** capped's address for each route, in order. */
export function routeEndpoints(origin: string, routes: readonly Route[]): string[] {
  return routes.map((_, i) => `${origin}/${routeMountName(i)}`);
}
