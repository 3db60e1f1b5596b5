// Runs inside a sealed run's network namespace (started by `unshare`, see namespace.ts):
// brings loopback up, bridges 127.0.0.1:<port> to capped's Unix socket (filesystem sockets
// cross network namespaces), starts the agent, and exits as the agent did.
// argv: <socket> <port> <ip> -- <agent command...>
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { LaunchError } from '../errors.js';
import { spawnAgent } from '../supervisor/spawn-agent.js';
import { removeRunFiles, RUN_FILES } from './trust.js';

const [socketPath, portText, ip, dashes, command, ...args] = process.argv.slice(2);
if (!socketPath || !portText || !ip || dashes !== '--' || !command) {
  process.stderr.write('capped: sealed launcher: expected <socket> <port> <ip> -- <command...>\n');
  process.exit(70);
}

const up = spawnSync(ip, ['link', 'set', 'lo', 'up'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
if (up.status !== 0) {
  process.stderr.write(`capped: sealed launcher: could not bring up loopback in the namespace: ${(up.stderr || up.error?.message || '').trim()}\n`);
  process.exit(70);
}

const bridge = net.createServer((inside) => {
  const outside = net.connect(socketPath);
  inside.pipe(outside).pipe(inside);
  inside.on('error', () => outside.destroy());
  outside.on('error', () => inside.destroy());
  inside.on('close', () => outside.destroy());
  outside.on('close', () => inside.destroy());
});
// A function, not top-level await: the bundle is CommonJS (scripts/bundle.js).
const relay = async (): Promise<void> => {
  await new Promise<void>((resolve, reject) => {
    bridge.once('error', reject);
    bridge.listen(Number(portText), '127.0.0.1', resolve);
  }).catch((err: unknown) => {
    process.stderr.write(`capped: sealed launcher: could not listen on 127.0.0.1:${portText}: ${String(err)}\n`);
    process.exit(70);
  });

  // The agent gets the terminal's and capped's signals itself (same process group, and capped
  // signals the whole tree); the launcher stays up to relay until the agent is gone.
  const ignore = (): void => {};
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, ignore);

  try {
    const agent = await spawnAgent(command, args, process.env);
    const exit = await agent.exited;
    bridge.close();
    if (path.basename(socketPath) === RUN_FILES.socket) removeRunFiles(path.dirname(socketPath));
    if (exit.signal) {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, ignore);
      process.kill(process.pid, exit.signal);
      // Only reached for a signal whose default action is not to end the process.
      setTimeout(() => process.exit(128), 1000);
    } else {
      process.exit(exit.code ?? 1);
    }
  } catch (err) {
    if (!(err instanceof LaunchError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(err.exitCode);
  }
};

void relay();
