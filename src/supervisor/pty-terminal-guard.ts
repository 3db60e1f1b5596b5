import type { SessionInput } from './pty-io.js';
import type { SttyControl } from './terminal-restore.js';

/** Where to hook 'exit' so the terminal is restored however capped ends (the real `process` in production). */
export interface ExitHooks {
  on(event: 'exit', listener: () => void): unknown;
  off(event: 'exit', listener: () => void): unknown;
}

export interface TerminalGuard {
  /** Whether the terminal has been given back (nothing may be drawn after that). */
  readonly restored: boolean;
  /** A step to undo first when restoring (a listener, a subscription). */
  onRestore(cleanup: () => void): void;
  /** Puts the terminal in raw mode, when stdin is one; restoring takes it out again. */
  enterRawMode(): void;
  /** Gives the terminal back exactly as found. Idempotent; also runs on process exit. */
  restore(): void;
}

export interface GuardOptions {
  stdin: SessionInput;
  stty: SttyControl;
  exitHooks: ExitHooks;
  /** Writes to the terminal. */
  write: (text: string) => unknown;
  /** What puts the screen back (leave the alternate screen, release the bar row, reset modes). */
  farewell: () => string;
}

/**
 * Saves the terminal's settings (before anything changes them) and restores them once: every
 * cleanup step, the farewell text, raw mode off, the saved `stty` settings back, stdin paused.
 * Each step runs whatever the one before it did, so a hung-up terminal cannot leave raw mode on.
 */
export function guardTerminal(o: GuardOptions): TerminalGuard {
  const savedStty = o.stdin.isTTY ? o.stty.save() : null;
  const cleanups: (() => void)[] = [];
  let restored = false;
  let rawMode = false;
  const attempt = (step: () => void): void => {
    try {
      step();
    } catch {
      // Restoring goes on whatever one step does (the terminal may be gone: hung up).
    }
  };
  const restore = (): void => {
    if (restored) return;
    restored = true;
    for (const cleanup of cleanups.splice(0)) attempt(cleanup);
    attempt(() => o.write(o.farewell()));
    if (rawMode) attempt(() => o.stdin.setRawMode?.(false));
    if (savedStty !== null) o.stty.restore(savedStty);
    o.stdin.pause();
    o.exitHooks.off('exit', restore);
  };
  o.exitHooks.on('exit', restore);
  return {
    get restored() {
      return restored;
    },
    onRestore: (cleanup) => void cleanups.push(cleanup),
    enterRawMode() {
      if (o.stdin.isTTY && o.stdin.setRawMode) {
        o.stdin.setRawMode(true);
        rawMode = true;
      }
    },
    restore,
  };
}
