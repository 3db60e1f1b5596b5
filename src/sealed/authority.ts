/** A host and port, as a CONNECT request or an absolute URL names them. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses a CONNECT request target (RFC 9110 §9.3.6: `host:port`, IPv6 in brackets). The port is
 * required; null for anything else (a path, a missing or out-of-range port, stray characters).
 */
export function parseAuthority(target: string): HostPort | null {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9._-]+)):(\d{1,5})$/i.exec(target.trim());
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return null;
  const host = (match[1] ?? match[2]!).toLowerCase().replace(/\.$/, '');
  if (host === '' || host.startsWith('.') || host.includes('..')) return null;
  return { host, port };
}

/** Test hook variable: where to really connect for a host name (a fake upstream on loopback). */
export const HOST_MAP_VAR = 'CAPPED_SEALED_HOST_MAP';

/**
 * Reads `CAPPED_SEALED_HOST_MAP=api.anthropic.com=127.0.0.1:4431,tunnel.test=127.0.0.1:4432`.
 * Only tests set it: the agent still names the real host (its TLS checks see that name), while
 * capped dials the mapped address. An entry that does not parse is an error, never ignored.
 */
export function parseHostMap(text: string | undefined): Map<string, HostPort> {
  const map = new Map<string, HostPort>();
  for (const item of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = item.indexOf('=');
    const target = eq > 0 ? parseAuthority(item.slice(eq + 1)) : null;
    if (!target) throw new Error(`Expected ${HOST_MAP_VAR} entries like host=127.0.0.1:port, got \`${item}\`.`);
    map.set(item.slice(0, eq).trim().toLowerCase(), target);
  }
  return map;
}
