import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { HostPort } from './authority.js';
import type { HostRules } from './hosts.js';
import type { RunCa } from './ca.js';
import type { HostTraffic, SealedSummary } from '../model/run-record.js';

export type { HostTraffic, SealedSummary };

export interface GatewayDeps {
  /** The metering proxy's server: requests for its secret paths and intercepted ones go to it. */
  proxyServer: http.Server;
  secret: string;
  rules: HostRules;
  ca: RunCa;
  /** Test hook: where to really connect for a host (see authority.ts). */
  hostMap: ReadonlyMap<string, HostPort>;
  /** One line for people (a host refused, a client that rejected the run CA). */
  say: (text: string) => void;
}

/** What the gateway's parts (tunnel, interception, plain forwarding) share: the counts and the open sockets. */
export class GatewayContext {
  readonly stats: SealedSummary = { hosts: {}, intercepted: {}, denied: {} };
  private readonly sockets = new Set<Duplex>();
  private readonly told = new Set<string>();

  constructor(readonly deps: GatewayDeps) {}

  /** Tracks a socket so `destroyAll` can end it. */
  keep(socket: Duplex): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Says a line once per key: a host refused a hundred times is one line. */
  sayOnce(key: string, text: string): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    this.deps.say(text);
  }

  traffic(host: string): HostTraffic {
    return (this.stats.hosts[host] ??= { connections: 0, failed: 0, bytesUp: 0, bytesDown: 0 });
  }

  countIntercepted(host: string): void {
    this.stats.intercepted[host] = (this.stats.intercepted[host] ?? 0) + 1;
  }

  dialTarget(target: HostPort): HostPort {
    return this.deps.hostMap.get(target.host) ?? target;
  }

  /** The metering proxy's path for a URL: under its per-run secret. */
  toProxy(url: string): string {
    return `/${this.deps.secret}${url}`;
  }

  /** Counts a refused connection, says so once, and returns the text the client gets. */
  denied(host: string, reason: string): string {
    this.stats.denied[host] = (this.stats.denied[host] ?? 0) + 1;
    this.sayOnce(`deny ${host}`, `capped: sealed: refused a connection to ${host}: ${reason}.\n`);
    return `capped: sealed run: the connection to ${host} was refused (${reason}).\n`;
  }
}

/** A whole HTTP/1.1 response for a raw socket (CONNECT answers). */
export const statusLine = (status: number, text: string): string =>
  `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\ncontent-length: ` +
  `${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`;
