import os from 'node:os';

export type RunStatus = 'running' | 'finished' | 'aborted';

/** How a reader tells whether a `running` run still has a capped behind it. */
export interface Liveness {
  /** This machine's host name (`os.hostname()`). */
  host: string;
  /** Whether a process with this pid exists on this machine. */
  isAlive: (pid: number) => boolean;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A pid exists when signal 0 reaches it, or when it exists but belongs to someone else (EPERM). */
export function pidIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function localLiveness(): Liveness {
  return { host: os.hostname(), isAlive: pidIsAlive };
}

export interface StatusFacts {
  status: string;
  host: string;
  pid: number;
  /** Epoch ms of the run's last recorded activity. */
  lastAt: number;
}

/**
 * The status a reader should show. A run still stored as `running` was aborted when its capped is
 * gone: on this host, its pid no longer exists; on another host (which cannot be asked), nothing
 * was recorded for a day.
 */
export function effectiveStatus(run: StatusFacts, liveness: Liveness, nowMs: number): RunStatus {
  if (run.status === 'finished' || run.status === 'aborted') return run.status;
  if (run.host === liveness.host) return liveness.isAlive(run.pid) ? 'running' : 'aborted';
  return nowMs - run.lastAt > DAY_MS ? 'aborted' : 'running';
}
