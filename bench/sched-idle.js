// Puts a benchmark process in Linux's SCHED_IDLE class (BENCH_UPSTREAM_IDLE=1 in proxy-overhead.js).
import { execFileSync } from 'node:child_process';

/**
 * Moves every thread of process `pid` to SCHED_IDLE: it runs only on a core nothing else wants.
 * A real upstream is remote and takes none of the machine's cores; on two cores the fake one
 * otherwise competes with the client and the proxy for them. `exec` runs chrt (a parameter so
 * tests can stand in for it). Throws an Error that says what failed and what to do.
 */
export function runAtIdle(pid, exec = execFileSync) {
  try {
    exec('chrt', ['--all-tasks', '--idle', '--pid', '0', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'chrt is not installed (it comes with util-linux)' : String(err.stderr ?? err.message).trim();
    throw new Error(
      `BENCH_UPSTREAM_IDLE=1 needs chrt to put the fake upstream at SCHED_IDLE (Linux only): ${why}; leave it unset to run the upstream as usual`,
    );
  }
}
