import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runAtIdle } from '../../../bench/sched-idle.js';

/** The scheduling policy of a thread, from /proc (field 41 of stat; the command name may hold spaces). */
function policyOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
}

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

describe('runAtIdle (BENCH_UPSTREAM_IDLE=1)', () => {
  it('puts every thread of a running Node process at SCHED_IDLE', async () => {
    const child = spawn(process.execPath, ['-e', "process.stdout.write('ready'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      // Once it runs the script, Node has started its V8 worker threads: all of them must move.
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const tasks = `/proc/${child.pid}/task`;
      const policies = (): number[] => readdirSync(tasks).map((tid) => policyOf(`${tasks}/${tid}/stat`));
      expect(policies().length).toBeGreaterThan(1);
      expect(new Set(policies())).toEqual(new Set([SCHED_OTHER]));
      runAtIdle(child.pid!);
      expect(new Set(policies())).toEqual(new Set([SCHED_IDLE]));
    } finally {
      child.kill();
    }
  });

  it('says chrt is missing and what to do, when it is', () => {
    const missing = (): never => {
      throw Object.assign(new Error('spawnSync chrt ENOENT'), { code: 'ENOENT' });
    };
    expect(() => runAtIdle(1234, missing)).toThrow(
      'BENCH_UPSTREAM_IDLE=1 needs chrt to put the fake upstream at SCHED_IDLE (Linux only): chrt is not installed (it comes with util-linux); leave it unset to run the upstream as usual',
    );
  });

  it("passes on chrt's own complaint when it fails", () => {
    const calls: unknown[][] = [];
    const refused = (...args: unknown[]): never => {
      calls.push(args);
      throw Object.assign(new Error('Command failed'), { status: 1, stderr: Buffer.from("chrt: failed to set pid 1234's policy: No such process\n") });
    };
    expect(() => runAtIdle(1234, refused)).toThrow(/needs chrt .*: chrt: failed to set pid 1234's policy: No such process; leave it unset/);
    expect(calls[0]?.slice(0, 2)).toEqual(['chrt', ['--all-tasks', '--idle', '--pid', '0', '1234']]);
  });
});
