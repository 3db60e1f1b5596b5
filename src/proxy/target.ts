import type http from 'node:http';
import { isSubscriptionLogin } from './credentials.js';
import type { Mount, ProxyDeps, Route } from './proxy-deps.js';

export function resolveRoute(mount: Mount, method: string, path: string, headers: http.IncomingHttpHeaders): Route {
  const provider = mount.providers.find((p) => p.classify(method, path) === 'generate') ?? mount.providers[0]!;
  const upstream = mount.subscriptionUpstream && isSubscriptionLogin(headers) ? mount.subscriptionUpstream : mount.upstream;
  return { provider, upstream };
}

/** Where a request goes, or the status and text to refuse it with. */
export type Target = { ok: true; route: Route; pathAndQuery: string; path: string } | { ok: false; status: number; text: string };

/** Checks the per-run secret and finds the mount and provider for a request URL. */
export function parseTarget(deps: Pick<ProxyDeps, 'secret' | 'mounts'>, raw: string, method: string, headers: http.IncomingHttpHeaders): Target {
  const prefix = `/${deps.secret}/`;
  if (!raw.startsWith(prefix)) return { ok: false, status: 403, text: 'capped: forbidden: this proxy only serves the agent it was started for.\n' };
  const rest = raw.slice(prefix.length);
  const slash = rest.indexOf('/');
  const mount = slash === -1 ? rest.split('?')[0]! : rest.slice(0, slash);
  const mounted = deps.mounts.get(mount);
  if (!mounted) return { ok: false, status: 404, text: `capped: no provider is mounted at /${mount}.\n` };
  const sent = slash === -1 ? '/' : rest.slice(slash);
  const pathAndQuery = mounted.fixPath ? mounted.fixPath(sent) : sent;
  const path = pathAndQuery.split('?')[0]!;
  return { ok: true, route: resolveRoute(mounted, method, path, headers), pathAndQuery, path };
}
