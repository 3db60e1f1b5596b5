import https from 'node:https';
import type { Duplex } from 'node:stream';
import { lazyUpstream, type Upstream } from '../proxy/forward.js';
import type { Mount } from '../proxy/proxy-deps.js';
import type { HostPort } from './authority.js';
import { INTERCEPTED } from './hosts.js';

/** The proxy mount that serves requests intercepted for `host`. */
export function sealedMountName(host: string): string {
  return `sealed-${host}`;
}

/**
 * An upstream for the real `host` over HTTPS. With a test mapping, capped dials the mapped
 * address but still verifies the certificate for `host` (SNI and name check unchanged).
 */
export function hostUpstream(host: string, mapped: HostPort | undefined): Upstream {
  const url = new URL(`https://${host}`);
  if (!mapped) return lazyUpstream(url, () => new https.Agent({ keepAlive: true, maxSockets: 64 }));
  class MappedAgent extends https.Agent {
    override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
      return super.createConnection({ ...options, host: mapped!.host, port: mapped!.port, servername: host }, callback);
    }
  }
  return lazyUpstream(url, () => new MappedAgent({ keepAlive: true, maxSockets: 64 }), mapped);
}

/**
 * The proxy's mounts plus one per intercepted provider host, each speaking the wire formats of
 * the base-URL mount it stands for, with the real host as its upstream.
 */
export function withSealedMounts(mounts: ReadonlyMap<string, Mount>, hostMap: ReadonlyMap<string, HostPort>): Map<string, Mount> {
  const all = new Map(mounts);
  for (const [host, mount] of Object.entries(INTERCEPTED)) {
    const providers = mounts.get(mount)?.providers;
    if (!providers) throw new Error(`capped: internal error: no proxy mount named ${mount}`);
    all.set(sealedMountName(host), { providers, upstream: hostUpstream(host, hostMap.get(host)) });
  }
  return all;
}
