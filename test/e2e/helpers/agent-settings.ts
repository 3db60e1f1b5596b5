import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCapped, type CappedResult } from './run-capped.js';

export interface AgentDirs {
  /** The agent's HOME (its ~/.config, ~/.qwen, ...), also capped's CAPPED_HOME. */
  home: string;
  /** The working directory: the project whose settings files the agent reads. */
  work: string;
}

export interface AgentRun {
  result: CappedResult;
  output: string;
  dirs: AgentDirs;
}

const made: string[] = [];

/** Removes the directories made by runAgent (call from afterEach). */
export function removeAgentDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * `capped run <cappedArgs> -- <command>` with a fresh HOME and project directory, the settings
 * files the test writes there (JSON, by absolute path), like a CI job: no TTY, stdin closed.
 */
export async function runAgent(
  cappedArgs: string[],
  command: string[],
  env: Record<string, string>,
  files: (dirs: AgentDirs) => Record<string, unknown> = () => ({}),
  timeoutMs = 240_000,
): Promise<AgentRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-agent-home-'));
  made.push(home);
  const work = path.join(home, 'work');
  fs.mkdirSync(work);
  const dirs = { home, work };
  for (const [file, content] of Object.entries(files(dirs))) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(content, null, 2));
  }
  const result = await runCapped(['run', ...cappedArgs, '--', ...command], {
    cwd: work,
    env: { HOME: home, CAPPED_HOME: home, TMPDIR: home, ...env },
    timeoutMs,
  });
  return { result, output: result.stdout + result.stderr, dirs };
}
