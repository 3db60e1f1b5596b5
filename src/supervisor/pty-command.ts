import fs from 'node:fs';
import path from 'node:path';
import { EXIT, LaunchError } from '../errors.js';

/**
 * Finds the program to run in the PTY the way execvp would, so a missing or non-executable
 * command fails before launch with the same errors (and exit codes 127 / 126) as a plain spawn.
 * In a PTY the failure would otherwise show up as the child printing an error and exiting 1.
 */
export function resolveCommand(command: string, env: NodeJS.ProcessEnv, cwd: string, access: (file: string, mode: number) => void = fs.accessSync): string {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : (env.PATH ?? '').split(path.delimiter).map((dir) => path.resolve(cwd, dir || '.', command));
  let found: string | null = null;
  for (const file of candidates) {
    if (!exists(file, access)) continue;
    found ??= file;
    if (isExecutableFile(file, access)) return file;
  }
  if (found) throw new LaunchError(`capped: permission denied: ${command} is not executable.`, EXIT.notExecutable);
  throw new LaunchError(`capped: command not found: ${command}. Check the name, or that it is on your PATH.`, EXIT.notFound);
}

function exists(file: string, access: (file: string, mode: number) => void): boolean {
  try {
    access(file, fs.constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function isExecutableFile(file: string, access: (file: string, mode: number) => void): boolean {
  try {
    access(file, fs.constants.X_OK);
    return !fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
