import { describe, expect, it } from 'vitest';
import { createIdleClock, ttyAtime } from '../../../src/supervisor/idle-clock.js';

describe('IdleClock', () => {
  it('counts idle time from the start, and from each keystroke', () => {
    let now = 1_000;
    const clock = createIdleClock({ now: () => now });
    now = 5_000;
    expect(clock.idleMs()).toBe(4_000);
    clock.keystroke();
    expect(clock.lastKeystrokeAt()).toBe(5_000);
    now = 65_000;
    expect(clock.idleMs()).toBe(60_000);
  });

  it('never goes back in time, and tells listeners of each keystroke', () => {
    const now = 10_000;
    const clock = createIdleClock({ now: () => now });
    const heard: number[] = [];
    const off = clock.onKeystroke((at) => heard.push(at));
    clock.keystroke(12_000);
    clock.keystroke(11_000);
    off();
    clock.keystroke(13_000);
    expect(clock.lastKeystrokeAt()).toBe(13_000);
    expect(heard).toEqual([12_000, 11_000]);
  });

  it('uses the terminal access time when it is newer (the non-PTY fallback)', () => {
    let now = 0;
    let atime: number | null = 50_000;
    const clock = createIdleClock({ now: () => now, atime: () => atime });
    now = 60_000;
    expect(clock.idleMs()).toBe(10_000);
    atime = null;
    expect(clock.idleMs()).toBe(60_000);
  });
});

describe('ttyAtime', () => {
  it('reads the access time of a terminal, and null otherwise', () => {
    expect(ttyAtime(0, { isatty: () => true, fstat: () => ({ atimeMs: 123 }) })()).toBe(123);
    expect(ttyAtime(0, { isatty: () => false, fstat: () => ({ atimeMs: 123 }) })()).toBeNull();
    const failing = (): { atimeMs: number } => {
      throw new Error('EBADF');
    };
    expect(ttyAtime(0, { isatty: () => true, fstat: failing })()).toBeNull();
  });
});
