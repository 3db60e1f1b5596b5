import { describe, expect, it } from 'vitest';
import type { ProcessEntry } from '../../../src/supervisor/process-table.js';
import { agentTree, signalTree, terminateTree, type Clock } from '../../../src/supervisor/terminate.js';

const MARKER = 'CAPPED_RUN_ID=test-run';

interface FakeProc {
  ppid: number;
  state: string;
  marked: boolean;
  /** Survives SIGTERM (only SIGKILL ends it). */
  ignoresTerm?: boolean;
  /** Got SIGTERM and exits the next time time passes. */
  exiting?: boolean;
}

/**
 * A fake process world: a table, a kill() that records every signal and ends processes the way the
 * kernel would, and a clock whose sleep() advances time (and can spawn processes mid-grace).
 */
class World {
  readonly procs = new Map<number, FakeProc>();
  readonly signals: { pid: number; signal: NodeJS.Signals | 0 }[] = [];
  time = 1_000_000;
  onSleep: ((world: World) => void) | null = null;

  add(pid: number, ppid: number, opts: Partial<FakeProc> = {}): this {
    this.procs.set(pid, { ppid, state: 'S', marked: true, ...opts });
    return this;
  }

  readonly kill = (pid: number, signal: NodeJS.Signals): void => {
    const sig = signal as NodeJS.Signals | 0;
    const proc = this.procs.get(pid);
    if (!proc || proc.state === 'Z') {
      const err = new Error(`kill ESRCH ${pid}`) as NodeJS.ErrnoException;
      err.code = 'ESRCH';
      throw err;
    }
    this.signals.push({ pid, signal: sig });
    if (sig === 'SIGKILL') this.procs.delete(pid);
    if (sig === 'SIGTERM' && !proc.ignoresTerm) proc.exiting = true;
  };

  readonly readTable = (): ProcessEntry[] => [...this.procs].map(([pid, p]) => ({ pid, ppid: p.ppid, state: p.state }));

  readonly findMarked = (marker: string): number[] => (marker === MARKER ? [...this.procs].filter(([, p]) => p.marked).map(([pid]) => pid) : []);

  readonly clock: Clock = {
    now: () => this.time,
    sleep: (ms) => {
      this.time += ms;
      for (const [pid, p] of this.procs) if (p.exiting) this.procs.delete(pid);
      this.onSleep?.(this);
      return Promise.resolve();
    },
  };

  sent(signal: NodeJS.Signals | 0): number[] {
    return this.signals.filter((s) => s.signal === signal).map((s) => s.pid);
  }

  options(graceMs = 3000) {
    return { graceMs, marker: MARKER, clock: this.clock, readTable: this.readTable, findMarked: this.findMarked, kill: this.kill };
  }
}

/** root 100 -> 101 -> 103, root -> 102; 200 is a marked stray re-parented to init; 300 is someone else's. */
function standardWorld(): World {
  return new World()
    .add(1, 0, { marked: false })
    .add(100, 1)
    .add(101, 100)
    .add(102, 100)
    .add(103, 101)
    .add(200, 1) // left the agent's session; found by its marker
    .add(300, 1, { marked: false });
}

describe('agentTree', () => {
  it('is the root, its descendants and marked strays, without zombies, dead pids or capped itself', () => {
    const world = standardWorld().add(104, 100, { state: 'Z' }).add(process.pid, 100); // capped itself can never be part of the tree it ends
    const tree = agentTree(100, { marker: MARKER, readTable: world.readTable, findMarked: (m) => [...world.findMarked(m), 999_999] });
    expect(tree[0]).toBe(100);
    expect([...tree].sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 200]);
  });
});

describe('terminateTree', () => {
  it('sends TERM then CONT to every process of the tree, including marked strays, and nothing else', async () => {
    const world = standardWorld();
    await terminateTree(100, world.options());
    const real = world.signals.filter((s) => s.signal !== 0);
    const tree = [100, 101, 102, 103, 200];
    expect(real[0]).toEqual({ pid: 100, signal: 'SIGTERM' }); // leader first
    // each process gets TERM immediately followed by CONT, once
    expect(real).toHaveLength(2 * tree.length);
    for (let i = 0; i < real.length; i += 2) {
      expect(real[i]?.signal).toBe('SIGTERM');
      expect(real[i + 1]).toEqual({ pid: real[i]!.pid, signal: 'SIGCONT' });
    }
    expect(world.sent('SIGTERM').sort((a, b) => a - b)).toEqual(tree);
    expect(world.sent('SIGKILL')).toEqual([]);
    expect(world.signals.some((s) => s.pid === 300 || s.pid === 1)).toBe(false);
    expect(world.procs.has(300)).toBe(true);
    expect(tree.some((pid) => world.procs.has(pid))).toBe(false);
  });

  it('continues stopped processes so they can act on TERM', async () => {
    const world = new World().add(100, 1, { state: 'T' }).add(101, 100, { state: 'T' });
    await terminateTree(100, world.options());
    expect(world.signals.filter((s) => s.signal !== 0)).toEqual([
      { pid: 100, signal: 'SIGTERM' },
      { pid: 100, signal: 'SIGCONT' },
      { pid: 101, signal: 'SIGTERM' },
      { pid: 101, signal: 'SIGCONT' },
    ]);
  });

  it('kills survivors after the grace period, having sent TERM only once', async () => {
    const world = standardWorld();
    world.procs.get(101)!.ignoresTerm = true;
    world.procs.get(200)!.ignoresTerm = true;
    const start = world.time;
    let sleeps = 0;
    world.onSleep = () => sleeps++;
    await terminateTree(100, world.options(3000));
    expect(world.time - start).toBeGreaterThanOrEqual(3000);
    expect(world.time - start).toBeLessThan(3000 + 100);
    expect(sleeps).toBeGreaterThan(10);
    expect(world.sent('SIGKILL').sort((a, b) => a - b)).toEqual([101, 200]);
    const terms = world.sent('SIGTERM');
    expect(terms.filter((p) => p === 101)).toHaveLength(1);
    expect(terms.filter((p) => p === 200)).toHaveLength(1);
    expect(new Set(terms).size).toBe(terms.length);
    expect(world.sent('SIGCONT').filter((p) => p === 101)).toHaveLength(1);
    expect(world.procs.has(101) || world.procs.has(200)).toBe(false);
    expect(world.procs.has(300)).toBe(true);
  });

  it('returns as soon as the tree is gone, without waiting out the grace period', async () => {
    const world = standardWorld();
    const start = world.time;
    await terminateTree(100, world.options(60_000));
    expect(world.time - start).toBeLessThanOrEqual(50);
  });

  it('also ends children spawned during the grace period', async () => {
    const world = standardWorld();
    world.procs.get(101)!.ignoresTerm = true;
    let spawned = false;
    world.onSleep = (w) => {
      if (!spawned) {
        spawned = true;
        w.add(150, 101, { marked: false }); // a child of a survivor
        w.add(151, 1, { ignoresTerm: true }); // a marked stray that ignores TERM
      }
    };
    await terminateTree(100, world.options(1000));
    expect(world.sent('SIGTERM')).toContain(150);
    expect(world.sent('SIGTERM')).toContain(151);
    expect(world.sent('SIGKILL').sort((a, b) => a - b)).toEqual([101, 151]);
  });

  it('never signals capped itself, even if it shows up in the tree', async () => {
    const world = standardWorld().add(process.pid, 100, { ignoresTerm: true });
    await terminateTree(100, world.options(500));
    expect(world.signals.some((s) => s.pid === process.pid)).toBe(false);
  });

  it('ignores zombies and processes that vanish between listing and signalling', async () => {
    const world = standardWorld().add(104, 100, { state: 'Z' });
    const flaky = world.kill;
    const kill = (pid: number, signal: NodeJS.Signals): void => {
      if (pid === 102 && signal === 'SIGTERM') {
        world.procs.delete(102); // exited on its own just now
      }
      flaky(pid, signal);
    };
    await expect(terminateTree(100, { ...world.options(), kill })).resolves.toBeUndefined();
    expect(world.signals.some((s) => s.pid === 104)).toBe(false);
    expect(world.procs.has(100)).toBe(false);
  });
});

describe('signalTree', () => {
  it('sends one signal to every process of the tree and returns them', () => {
    const world = standardWorld();
    world.procs.forEach((p) => (p.ignoresTerm = true));
    const pids = signalTree(100, 'SIGHUP', world.options(0));
    expect([...pids].sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 200]);
    expect(world.sent('SIGHUP').sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 200]);
    expect(world.signals.every((s) => s.signal === 'SIGHUP')).toBe(true);
  });
});
