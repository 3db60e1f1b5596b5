import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Mount } from '../proxy/proxy-deps.js';
import { HOST_MAP_VAR, parseHostMap, type HostPort } from './authority.js';
import { createRunCa } from './ca.js';
import { createGateway, type SealedSummary } from './gateway.js';
import type { HostRules } from './hosts.js';
import { withSealedMounts } from './mounts.js';
import { namespaceTools, realHost, sealedArgv, type NamespaceHost, type NamespaceTools } from './namespace.js';
import { proxyVariables, removeRunFiles, RUN_FILES, writeTrustFiles } from './trust.js';

export type { SealedSummary } from './gateway.js';

/** A sealed run, checked and ready: what the proxy is built with, then started behind it. */
export interface SealedSetup {
  /** The proxy's mounts plus the intercepted provider hosts. */
  mounts(base: ReadonlyMap<string, Mount>): Map<string, Mount>;
  start(o: { proxyServer: http.Server; secret: string; port: number; rules: HostRules; say: (text: string) => void }): Promise<SealedRun>;
}

export interface SealedRun {
  /** The agent's environment with the proxy and CA variables. */
  env(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** The command line that runs the agent in its namespace. */
  argv(argv: readonly string[]): string[];
  /** Replaces the host rules in force (a reloaded policy). */
  setRules(rules: HostRules): void;
  summary(): SealedSummary;
  /** Stops the gateway and deletes the socket and certificate files. */
  close(): void;
}

/**
 * Checks that a sealed run can start here (exit 2 with the reason if not; never a run without the
 * seal) and reads the test hook's host map. `source` says where `sealed` was turned on.
 */
export function prepareSealed(env: NodeJS.ProcessEnv, source: string, host: NamespaceHost = { ...realHost, env }): SealedSetup {
  const tools = namespaceTools(host);
  if ('reason' in tools) throw new UsageError(`This run is sealed (${source}) but cannot be sealed here: ${tools.reason}.`);
  let hostMap: Map<string, HostPort>;
  try {
    hostMap = parseHostMap(env[HOST_MAP_VAR]);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    mounts: (base) => withSealedMounts(base, hostMap),
    start: (o) => startSealed(tools, hostMap, env, o),
  };
}

async function startSealed(
  tools: NamespaceTools,
  hostMap: ReadonlyMap<string, HostPort>,
  userEnv: NodeJS.ProcessEnv,
  o: Parameters<SealedSetup['start']>[0],
): Promise<SealedRun> {
  const ca = await createRunCa(`capped run CA ${o.secret.slice(0, 8)}`);
  // Private to the user: anyone who can reach the socket can use the run's way out.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-sealed-'));
  fs.chmodSync(dir, 0o700);
  const socket = path.join(dir, RUN_FILES.socket);
  const rules = { allow: [...o.rules.allow], deny: [...o.rules.deny] };
  const gateway = createGateway({ proxyServer: o.proxyServer, secret: o.secret, rules, ca, hostMap, say: o.say });
  const remove = (): void => removeRunFiles(dir);
  try {
    await new Promise<void>((resolve, reject) => {
      gateway.server.once('error', reject);
      gateway.server.listen(socket, resolve);
    });
    const trust = writeTrustFiles(dir, ca.certPem, userEnv);
    const run: SealedRun = {
      env: (base) => ({ ...base, ...proxyVariables(o.port), ...trust }),
      argv: (argv) => sealedArgv(tools, socket, o.port, argv),
      setRules: (next) => Object.assign(rules, { allow: [...next.allow], deny: [...next.deny] }),
      summary: () => gateway.summary(),
      close: () => {
        gateway.close();
        remove();
      },
    };
    process.once('exit', remove);
    return run;
  } catch (err) {
    gateway.close();
    remove();
    throw err;
  }
}
