import { constants as osConstants } from 'node:os';
import nodePty from '@lydell/node-pty';
import { createIdleClock, type IdleClock } from './idle-clock.js';
import { resolveCommand } from './pty-command.js';
import { InputRouter } from './pty-input-router.js';
import type { PtyModule, PtyProcess, SessionInput, SessionOutput } from './pty-io.js';
import { pumpOutput } from './pty-output-pump.js';
import { PromptQueue } from './pty-prompt-queue.js';
import { guardTerminal, type ExitHooks } from './pty-terminal-guard.js';
import type { AgentExit } from './spawn-agent.js';
import { createTerminalPainter } from './terminal-painter.js';
import { LEAVE_ALT_SCREEN, RESET_MODES, systemStty, type SttyControl } from './terminal-restore.js';
import { realClock, type Clock } from './terminate.js';

export type { PtyModule, PtyProcess, SessionInput, SessionOutput } from './pty-io.js';

/** The bar: fixed text, or text for a given width (re-rendered on resize). One line, under `columns` wide. */
export type BarSource = string | ((columns: number) => string);

export interface PtySessionOptions {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: SessionInput;
  stdout: SessionOutput;
  /** Time and waiting (default: the real clock). */
  clock?: Clock;
  /** Default `@lydell/node-pty`. */
  pty?: PtyModule;
  /** Where keystrokes are recorded (default: a new idle clock on `clock`). */
  idle?: IdleClock;
  /** The bar shown from the start (default: empty until `setBar`). */
  bar?: BarSource;
  /** Default: `stty` on stdin. */
  stty?: SttyControl;
  /** Where to hook 'exit' so the terminal is restored however capped ends (default: process). */
  exitHooks?: ExitHooks;
  /** Finds the program (default: PATH lookup that throws LaunchError 127/126). */
  resolve?: (command: string, env: NodeJS.ProcessEnv, cwd: string) => string;
  /** Pause between the two resizes of `redraw()` (default 50 ms). */
  redrawDelayMs?: number;
}

export interface PtySession {
  readonly pid: number;
  /** Resolves when the child has exited (the terminal is restored by then). */
  readonly exited: Promise<AgentExit>;
  /** The keystroke clock this session feeds. */
  readonly idle: IdleClock;
  /** The child's terminal size right now (one row shorter than the real one while the bar shows). */
  size(): { rows: number; columns: number };
  /** Replaces the bar (painted at once, or with the next output if the child is mid-sequence). */
  setBar(bar: BarSource): void;
  /**
   * Shows `prompt` on the bar row and resolves with the first of `keys` typed alone (letters in
   * either case). Meanwhile typed keys go to the prompt, not the child; terminal replies still
   * reach the child; stray bytes, pastes, focus and mouse events never answer. Resolves null if
   * the session ends first. Questions asked while one is open wait their turn.
   */
  ask(prompt: BarSource, keys: readonly string[]): Promise<string | null>;
  /**
   * Reads a line on the bar row (e.g. an amount): `prompt(text, columns)` draws it as typed;
   * `accept` (no g flag) says which characters may be typed. Enter resolves with the text; Escape
   * or Ctrl-C (or the session ending) with null.
   */
  askLine(prompt: (text: string, columns: number) => string, accept?: RegExp): Promise<string | null>;
  /** Makes a full-screen child repaint (after SIGCONT): the PTY shrinks by a row, then grows back. */
  redraw(): Promise<void>;
  /** Gives the terminal back exactly as found. Idempotent; also runs on child exit and process exit. */
  restore(): void;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/**
 * Starts `command` in a PTY one row shorter than the terminal, with the bar on the last row. The
 * parts: the terminal guard (save, restore), the output pump (child → painter → terminal), the
 * input router (keys → idle clock → child or prompt) and the prompt queue (questions on the bar row).
 */
export function startPtySession(opts: PtySessionOptions): PtySession {
  const { stdin, stdout } = opts;
  const clock = opts.clock ?? realClock;
  const idle = opts.idle ?? createIdleClock({ now: () => clock.now() });
  const file = (opts.resolve ?? resolveCommand)(opts.command, opts.env, opts.cwd);

  let bar: BarSource = opts.bar ?? '';
  const barText = (columns: number): string => (typeof bar === 'function' ? bar(columns) : bar);
  const painter = createTerminalPainter({ rows: stdout.rows, columns: stdout.columns, bar: barText(stdout.columns) });
  const childRows = (): number => Math.max(1, painter.active ? painter.rows - 1 : painter.rows);
  const write = (text: string): boolean => (text ? stdout.write(text) : true);

  // The terminal's own settings come first, before anything changes them.
  const guard = guardTerminal({
    stdin,
    stty: opts.stty ?? systemStty,
    exitHooks: opts.exitHooks ?? process,
    write,
    farewell: () => LEAVE_ALT_SCREEN + painter.stop() + RESET_MODES,
  });
  let pty: PtyProcess;
  try {
    guard.enterRawMode();
    write(painter.start());
    const size = { cols: painter.columns, rows: childRows() };
    pty = (opts.pty ?? nodePty).spawn(file, [...opts.args], { name: opts.env.TERM ?? 'xterm-256color', ...size, cwd: opts.cwd, env: opts.env });
  } catch (err) {
    guard.restore();
    throw err;
  }
  guard.onRestore(pumpOutput(pty, stdout, (chunk) => write(painter.paint(chunk))));

  const router = new InputRouter(pty, idle);
  stdin.on('data', router.onInput);
  stdin.resume();
  guard.onRestore(() => stdin.off('data', router.onInput));
  const prompts = new PromptQueue({ painter, write, clock, barText, restored: () => guard.restored }, router);

  // The terminal resized: the child gets rows-1, the bar (or the open prompt) moves to the new last row.
  const onResize = (): void => {
    write(painter.resize(stdout.rows, stdout.columns, prompts.row(stdout.columns)));
    pty.resize(stdout.columns, childRows());
  };
  stdout.on('resize', onResize);
  guard.onRestore(() => stdout.off('resize', onResize));

  const exited = new Promise<AgentExit>((resolve) => {
    const onExit = pty.onExit(({ exitCode, signal }) => {
      guard.restore();
      prompts.endAll();
      const name = signal ? (SIGNAL_NAMES.get(signal) ?? null) : null;
      resolve(name ? { code: null, signal: name } : { code: exitCode, signal: null });
    });
    guard.onRestore(() => onExit.dispose());
  });

  return {
    pid: pty.pid,
    exited,
    idle,
    size: () => ({ rows: childRows(), columns: painter.columns }),
    setBar(next) {
      bar = next;
      if (!prompts.open && !guard.restored) write(painter.setBar(barText(painter.columns)));
    },
    ask: (prompt, keys) => prompts.ask(prompt, keys),
    askLine: (prompt, accept = /^[0-9.]$/) => prompts.askLine(prompt, accept),
    async redraw() {
      const rows = childRows();
      if (guard.restored || rows < 2) return;
      pty.resize(painter.columns, rows - 1);
      await clock.sleep(opts.redrawDelayMs ?? 50);
      if (!guard.restored) pty.resize(painter.columns, childRows());
    },
    restore: () => guard.restore(),
  };
}
