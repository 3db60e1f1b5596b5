import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { EXIT, LaunchError } from '../errors.js';

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The exit code a shell reports for a process: its own, or 128 + the number of the signal that ended it. */
export function shellExitCode(exit: AgentExit): number {
  if (exit.code !== null) return exit.code;
  const n = exit.signal ? osConstants.signals[exit.signal] : undefined;
  return 128 + (n ?? 1);
}

export interface AgentProcess {
  pid: number;
  exited: Promise<AgentExit>;
}

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/**
 * Starts the agent sharing capped's terminal (stdio inherited, same process group, so the
 * terminal's Ctrl-C and job control reach it as they would without capped).
 */
export function spawnAgent(command: string, args: readonly string[], env: NodeJS.ProcessEnv, spawn: SpawnFn = nodeSpawn): Promise<AgentProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    const exited = new Promise<AgentExit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
    child.once('spawn', () => resolve({ pid: child.pid!, exited }));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new LaunchError(`capped: command not found: ${command}. Check the name, or that it is on your PATH.`, EXIT.notFound));
      else if (err.code === 'EACCES') reject(new LaunchError(`capped: permission denied: ${command} is not executable.`, EXIT.notExecutable));
      else reject(new LaunchError(`capped: could not start ${command}: ${err.message}`, EXIT.notExecutable));
    });
  });
}
