import { isIP } from 'node:net';

/**
 * Provider API hosts a sealed run intercepts: TLS is ended at capped with a leaf from the run's
 * CA, and each request is metered like one sent to the proxy's base URLs. The key is the proxy
 * mount (src/proxy/mounts.ts) whose wire formats the host speaks.
 */
export const INTERCEPTED: Readonly<Record<string, 'anthropic' | 'openai' | 'gemini'>> = {
  'api.anthropic.com': 'anthropic',
  'api.openai.com': 'openai',
  // Codex signed in with ChatGPT posts its Responses requests to chatgpt.com/backend-api/codex.
  'chatgpt.com': 'openai',
  'generativelanguage.googleapis.com': 'gemini',
};

/**
 * Model APIs capped cannot meter: tunnelled untouched they would spend outside the cap, so a
 * sealed run refuses them unless `sealedAllow` names them explicitly (a pattern other than `*`).
 * Gemini's Google-login backend, Vertex AI, Bedrock, Azure OpenAI and the common hosted APIs.
 */
export const UNMETERED_MODEL_HOSTS: readonly string[] = [
  'cloudcode-pa.googleapis.com',
  'aiplatform.googleapis.com',
  '*-aiplatform.googleapis.com',
  'bedrock-runtime.*.amazonaws.com',
  '*.openai.azure.com',
  '*.services.ai.azure.com',
  'openrouter.ai',
  'api.mistral.ai',
  'api.deepseek.com',
  'api.groq.com',
  'api.x.ai',
  'api.together.xyz',
  'api.fireworks.ai',
  'api.cohere.com',
  'api.perplexity.ai',
  'dashscope.aliyuncs.com',
  'dashscope-intl.aliyuncs.com',
  'api.moonshot.ai',
  'open.bigmodel.cn',
];

/** A host pattern: `*` stands for any run of characters (dots included); case does not matter. */
export function hostMatches(pattern: string, host: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(host.toLowerCase().replace(/\.$/, ''));
}

export type HostVerdict = { kind: 'intercept'; mount: 'anthropic' | 'openai' | 'gemini' } | { kind: 'tunnel' } | { kind: 'deny'; reason: string };

export interface HostRules {
  allow: readonly string[];
  deny: readonly string[];
}

/**
 * What a sealed run does with a connection to `host`: provider hosts are always intercepted
 * (no policy can let them out unmetered); `sealedDeny` wins over `sealedAllow`; addresses and
 * loopback names, and model APIs capped cannot meter, need an allow entry of their own.
 */
export function decideHost(host: string, rules: HostRules): HostVerdict {
  const name = host.toLowerCase().replace(/\.$/, '');
  const mount = INTERCEPTED[name];
  if (mount) return { kind: 'intercept', mount };
  const denied = rules.deny.find((p) => hostMatches(p, name));
  if (denied) return { kind: 'deny', reason: `${name} matches sealedDeny entry "${denied}"` };
  const explicit = rules.allow.some((p) => p !== '*' && hostMatches(p, name));
  if (!explicit) {
    if (isIP(name) !== 0) return { kind: 'deny', reason: `${name} is an address, not a host name; add it to sealedAllow to reach it` };
    if (name === 'localhost' || name.endsWith('.localhost'))
      return { kind: 'deny', reason: `${name} is capped's own machine; add it to sealedAllow to reach it` };
    const unmetered = UNMETERED_MODEL_HOSTS.find((p) => hostMatches(p, name));
    if (unmetered) return { kind: 'deny', reason: `${name} is a model API capped cannot meter; add it to sealedAllow to let it spend outside the cap` };
  }
  if (explicit || rules.allow.includes('*')) return { kind: 'tunnel' };
  return { kind: 'deny', reason: `${name} is not in sealedAllow` };
}
