import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the namespace check looks at; tests pass fakes to simulate a machine without namespaces. */
export interface NamespaceHost {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  isExecutable(file: string): boolean;
  /** Runs a command to completion: its exit status (null if it could not run) and stderr. */
  run(file: string, args: readonly string[]): { status: number | null; stderr: string };
}

export const realHost: NamespaceHost = {
  platform: process.platform,
  env: process.env,
  isExecutable(file) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  },
  run(file, args) {
    const result = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
    return { status: result.status, stderr: result.stderr ?? result.error?.message ?? '' };
  },
};

/** `ip` usually lives in sbin, which a non-root user's PATH often lacks. */
const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function findProgram(name: string, host: NamespaceHost, extra: readonly string[] = []): string | null {
  const dirs = [...(host.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extra];
  return dirs.map((dir) => path.join(dir, name)).find((file) => host.isExecutable(file)) ?? null;
}

/** The programs a sealed run is started with. */
export interface NamespaceTools {
  unshare: string;
  ip: string;
}

/** The user-namespace flags: keep the user's own uid inside, and the capabilities to bring `lo` up. */
const UNSHARE_ARGS = ['--map-current-user', '--keep-caps', '--net'];

/**
 * Finds `unshare` and `ip` and proves a network namespace can really be made here (it brings up
 * `lo` in a throwaway one). Returns the tools, or the one-line reason a sealed run cannot start.
 */
export function namespaceTools(host: NamespaceHost = realHost): NamespaceTools | { reason: string } {
  if (host.platform !== 'linux') return { reason: `sealed runs need Linux network namespaces, and this is ${host.platform}` };
  const unshare = findProgram('unshare', host);
  if (!unshare) return { reason: '`unshare` (util-linux) was not found on PATH' };
  const ip = findProgram('ip', host, SBIN);
  if (!ip) return { reason: '`ip` (iproute2) was not found on PATH or in /usr/sbin' };
  const probe = host.run(unshare, [...UNSHARE_ARGS, '--', ip, 'link', 'set', 'lo', 'up']);
  if (probe.status !== 0) {
    const why = probe.stderr.trim().split('\n')[0] || `exit status ${probe.status}`;
    return {
      reason: `this machine does not let capped create a network namespace (${why}); user namespaces may be disabled, or unshare is older than util-linux 2.38`,
    };
  }
  return { unshare, ip };
}

/** The launcher script, next to this file in the build. */
export function launcherPath(): string {
  return fileURLToPath(new URL('./launcher.js', import.meta.url));
}

/**
 * The command line that runs `argv` in a new network namespace behind the bridge: `unshare`
 * execs the launcher (so its pid is the agent tree's root), which brings `lo` up, listens on
 * 127.0.0.1:`port` for the bridge to `socket`, and starts the agent.
 */
export function sealedArgv(tools: NamespaceTools, socket: string, port: number, argv: readonly string[]): string[] {
  return [tools.unshare, ...UNSHARE_ARGS, '--', process.execPath, launcherPath(), socket, String(port), tools.ip, '--', ...argv];
}
