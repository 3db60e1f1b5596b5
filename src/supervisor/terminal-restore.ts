import { execFileSync } from 'node:child_process';

/**
 * Puts back every mode a full-screen child may have left on (reference/terminal.md): leave the
 * alternate screen, show the cursor, mouse reporting off (X10, button, any-motion, SGR), bracketed
 * paste off, focus reporting off, pop the kitty keyboard mode, default colours.
 *
 * Leaving the alternate screen comes first (it restores the main screen's cursor), so anything
 * written after it lands on the main screen. When the child never switched screens this is
 * harmless: the cursor it restores is the one the painter saved at its last paint, where the
 * cursor already is.
 */
export const LEAVE_ALT_SCREEN = '\x1b[?1049l';
export const RESET_MODES = '\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1004l\x1b[<u\x1b[0m';

/** Saves and restores the terminal's line settings (`stty -g`), on capped's own stdin. */
export interface SttyControl {
  /** The current settings in `stty -g` form, or null when stdin is not a terminal. */
  save(): string | null;
  /** Applies settings saved by `save()`; never throws. */
  restore(state: string): void;
}

/** `stty` run on capped's stdin (synchronously, so it also works in a process 'exit' handler). */
export const systemStty: SttyControl = {
  save() {
    try {
      const out = execFileSync('stty', ['-g'], { stdio: ['inherit', 'pipe', 'ignore'], encoding: 'utf8', timeout: 2000 });
      return out.trim() || null;
    } catch {
      return null;
    }
  },
  restore(state) {
    try {
      execFileSync('stty', [state], { stdio: ['inherit', 'ignore', 'ignore'], timeout: 2000 });
    } catch {
      // Not a terminal any more (hung up): nothing left to restore.
    }
  },
};
