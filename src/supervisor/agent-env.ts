/** Environment variable every process of the agent inherits; lets capped find strays. */
export const RUN_MARKER_VAR = 'CAPPED_RUN_ID';

/** Environment variable with the running session's control address (for `capped phase`). */
export const CONTROL_URL_VAR = 'CAPPED_CONTROL_URL';

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

/**
 * The agent's environment: the user's own, with its API base URLs pointed at capped's proxy, the
 * run marker, and loopback exempted from any HTTP(S) proxy so the agent reaches capped directly.
 */
export function agentEnvironment(base: NodeJS.ProcessEnv, baseUrls: Readonly<Record<string, string>>, runId: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...baseUrls, [RUN_MARKER_VAR]: runId };
  const proxied = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'].some((k) => base[k]);
  if (proxied) {
    for (const key of ['NO_PROXY', 'no_proxy']) {
      const existing = (base[key] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      env[key] = [...new Set([...existing, ...LOOPBACK])].join(',');
    }
  }
  return env;
}
