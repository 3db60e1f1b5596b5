import fs from 'node:fs';
import tty from 'node:tty';

/**
 * When the user last touched the keyboard. In a PTY session every keystroke passes through capped
 * and is recorded here as it happens; without a PTY the terminal device's access time is the
 * fallback (it moves when anyone reads typed input, in 8-second steps; see reference/terminal.md).
 */
export interface IdleClock {
  /** Records a keystroke (now, or at `at` ms since the epoch). */
  keystroke(at?: number): void;
  /** The last keystroke seen, in ms since the epoch (the clock's start when there was none). */
  lastKeystrokeAt(): number;
  /** Milliseconds since the last keystroke. */
  idleMs(): number;
  /** Calls `listener` on each recorded keystroke; returns the unsubscribe function. */
  onKeystroke(listener: (at: number) => void): () => void;
}

export interface IdleClockOptions {
  /** Current time in ms since the epoch (Date.now in production). */
  now: () => number;
  /**
   * Reads the terminal's access time (ms since the epoch), or null when it cannot: the non-PTY
   * fallback. Leave unset in a PTY session, where keystrokes are seen directly.
   */
  atime?: () => number | null;
}

/** Creates an idle clock that starts counting now. */
export function createIdleClock(opts: IdleClockOptions): IdleClock {
  let last = opts.now();
  const listeners = new Set<(at: number) => void>();
  const lastKeystrokeAt = (): number => {
    const atime = opts.atime?.() ?? null;
    return atime !== null && atime > last ? atime : last;
  };
  return {
    keystroke(at = opts.now()) {
      if (at > last) last = at;
      for (const listener of listeners) listener(at);
    },
    lastKeystrokeAt,
    idleMs: () => Math.max(0, opts.now() - lastKeystrokeAt()),
    onKeystroke(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The access time of the terminal on `fd` (stdin by default), for the non-PTY fallback; null when
 * `fd` is not a terminal or cannot be read.
 */
export function ttyAtime(fd = 0, deps: { fstat?: (fd: number) => { atimeMs: number }; isatty?: (fd: number) => boolean } = {}): () => number | null {
  const fstat = deps.fstat ?? ((n: number) => fs.fstatSync(n));
  const isatty = deps.isatty ?? ((n: number) => tty.isatty(n));
  return () => {
    try {
      if (!isatty(fd)) return null;
      return fstat(fd).atimeMs;
    } catch {
      return null;
    }
  };
}
