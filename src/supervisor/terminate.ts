import { descendants, processesWithMarker, readProcessTable, type ProcessEntry } from './process-table.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface TreeOptions {
  /** How long processes get to exit after SIGTERM before SIGKILL. */
  graceMs: number;
  /** Environment marker every process of the agent inherits. */
  marker: string;
  clock?: Clock;
  readTable?: () => ProcessEntry[];
  findMarked?: (marker: string) => number[];
  kill?: (pid: number, signal: NodeJS.Signals) => void;
}

/** The agent's whole tree right now: the root, its descendants, and marked strays. */
export function agentTree(root: number, opts: Pick<TreeOptions, 'marker' | 'readTable' | 'findMarked'>): number[] {
  const table = (opts.readTable ?? readProcessTable)();
  // Zombies have already exited; they only wait for their parent to reap them.
  const alive = new Set(table.filter((p) => p.state !== 'Z').map((p) => p.pid));
  const pids = [root, ...descendants(table, root), ...(opts.findMarked ?? processesWithMarker)(opts.marker)];
  const own = process.pid;
  return [...new Set(pids)].filter((pid) => pid !== own && alive.has(pid));
}

function send(kill: (pid: number, signal: NodeJS.Signals) => void, pid: number, signal: NodeJS.Signals): boolean {
  try {
    kill(pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/** Sends `signal` to every process of the agent, leader first. */
export function signalTree(root: number, signal: NodeJS.Signals, opts: TreeOptions): number[] {
  const kill = opts.kill ?? ((pid, sig) => process.kill(pid, sig));
  const pids = agentTree(root, opts);
  for (const pid of pids) send(kill, pid, signal);
  return pids;
}

/**
 * Ends the agent's process tree: TERM then CONT (a stopped process only acts on TERM once
 * continued), a grace period, then KILL for whatever is left, including processes that left the
 * agent's group or session and children spawned during the grace period.
 */
export async function terminateTree(root: number, opts: TreeOptions): Promise<void> {
  const clock = opts.clock ?? realClock;
  const kill = opts.kill ?? ((pid, sig) => process.kill(pid, sig));
  const isAlive = (pid: number): boolean => send(kill, pid, 0 as unknown as NodeJS.Signals);
  const signalled = new Set<number>();
  const deadline = clock.now() + opts.graceMs;
  for (;;) {
    const pids = agentTree(root, opts).filter(isAlive);
    for (const pid of pids) {
      if (signalled.has(pid)) continue;
      signalled.add(pid);
      send(kill, pid, 'SIGTERM');
      send(kill, pid, 'SIGCONT');
    }
    if (pids.length === 0) return;
    if (clock.now() >= deadline) break;
    await clock.sleep(50);
  }
  for (const pid of agentTree(root, opts)) send(kill, pid, 'SIGKILL');
}

/**
 * Runs `question` with the agent's whole tree stopped (SIGSTOP), and continues the tree (SIGCONT)
 * however the question ends: an error while it is on screen must not leave the agent frozen.
 */
export async function whileTreeStopped<T>(root: number, opts: Omit<TreeOptions, 'graceMs' | 'clock'>, question: () => Promise<T>): Promise<T> {
  signalTree(root, 'SIGSTOP', { ...opts, graceMs: 0 });
  try {
    return await question();
  } finally {
    signalTree(root, 'SIGCONT', { ...opts, graceMs: 0 });
  }
}
