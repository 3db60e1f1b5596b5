import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { holdSignals } from '../../../src/cli/early-signals.js';
import { runCommand, type RunDeps } from '../../../src/cli/run.js';
import { loadPolicy } from '../../../src/config/load.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** `capped run` in process, its agent a fake child that exits at once, its ledger in a temp CAPPED_HOME. */
function deps(signals: EventEmitter): RunDeps {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-held-'));
  dirs.push(home);
  const spawn = (): ChildProcess => {
    const child = new EventEmitter() as ChildProcess;
    Object.assign(child, { pid: 2 ** 22 + 7 });
    setImmediate(() => {
      child.emit('spawn');
      setImmediate(() => child.emit('exit', 0, null));
    });
    return child;
  };
  return {
    env: { CAPPED_HOME: home, HOME: home, PATH: process.env.PATH ?? '' },
    cwd: home,
    stderr: () => {},
    stdinIsTTY: false,
    stderrIsTTY: false,
    now: () => new Date(),
    signals,
    spawn,
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const listening = (e: EventEmitter): number => SIGNALS.reduce((n, s) => n + e.listenerCount(s), 0);

describe('capped run and its signal handlers', () => {
  it('removes the handlers it installed itself once the run is over', async () => {
    const signals = new EventEmitter();
    const d = deps(signals);
    const code = await runCommand(['agent'], { policy: loadPolicy({ cwd: d.cwd, env: d.env }), record: null }, d);
    expect(code).toBe(0);
    expect(listening(signals)).toBe(0);
  });

  it('leaves the caller’s held handlers in place until the caller releases them (after the record)', async () => {
    const signals = new EventEmitter();
    const held = holdSignals(signals);
    const d = deps(signals);
    const code = await runCommand(['agent'], { policy: loadPolicy({ cwd: d.cwd, env: d.env }), record: null, signals: held }, d);
    expect(code).toBe(0);
    expect(listening(signals)).toBe(3);
    held.release();
    expect(listening(signals)).toBe(0);
  });
});

describe('capped run and its process', () => {
  it('sets V8 for the run once, through the dependency it is given, and undoes it at the end (memory-trim.ts, v8-tiering.ts)', async () => {
    const d = deps(new EventEmitter());
    const calls: string[] = [];
    const tuneV8 = () => {
      calls.push('tuned');
      return () => calls.push('untuned');
    };
    const code = await runCommand(['agent'], { policy: loadPolicy({ cwd: d.cwd, env: d.env }), record: null }, { ...d, tuneV8 });
    expect(code).toBe(0);
    expect(calls).toEqual(['tuned', 'untuned']);
  });
});
