import { constants as osConstants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import nodePty from '@lydell/node-pty';
import { createIdleClock, type IdleClock } from './idle-clock.js';
import { InputClassifier, isUserToken, type InputToken } from './idle-filter.js';
import { resolveCommand } from './pty-command.js';
import type { PtyModule, PtyProcess, SessionInput, SessionOutput } from './pty-io.js';
import { answerOf, editLine, type LineState } from './pty-prompt.js';
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
  exitHooks?: { on(event: 'exit', listener: () => void): unknown; off(event: 'exit', listener: () => void): unknown };
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

/** How long a prompt waits for the child to finish a half-written sequence before it is drawn anyway. */
const PROMPT_FLUSH_MS = 150;

/** An input mode that takes the user's keys instead of the child (a prompt). */
type KeyHandler = (userTokens: InputToken[]) => void;

/** Starts `command` in a PTY one row shorter than the terminal, with the bar on the last row. */
export function startPtySession(opts: PtySessionOptions): PtySession {
  const { stdin, stdout } = opts;
  const clock = opts.clock ?? realClock;
  const stty = opts.stty ?? systemStty;
  const exitHooks = opts.exitHooks ?? process;
  const idle = opts.idle ?? createIdleClock({ now: () => clock.now() });
  const file = (opts.resolve ?? resolveCommand)(opts.command, opts.env, opts.cwd);

  let bar: BarSource = opts.bar ?? '';
  const barText = (columns: number): string => (typeof bar === 'function' ? bar(columns) : bar);
  const painter = createTerminalPainter({ rows: stdout.rows, columns: stdout.columns, bar: barText(stdout.columns) });
  const childRows = (): number => Math.max(1, painter.active ? painter.rows - 1 : painter.rows);

  const write = (text: string): boolean => (text ? stdout.write(text) : true);

  // The terminal's own settings come first, before anything changes them.
  const savedStty = stdin.isTTY ? stty.save() : null;
  let restored = false;
  let rawMode = false;
  const cleanups: (() => void)[] = [];

  const restore = (): void => {
    if (restored) return;
    restored = true;
    for (const cleanup of cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // Restoring goes on whatever one step does.
      }
    }
    try {
      write(LEAVE_ALT_SCREEN + painter.stop() + RESET_MODES);
    } catch {
      // The terminal is gone (hung up): nothing to draw on.
    }
    if (rawMode) {
      try {
        stdin.setRawMode?.(false);
      } catch {
        // as above
      }
    }
    if (savedStty !== null) stty.restore(savedStty);
    stdin.pause();
    exitHooks.off('exit', restore);
  };
  exitHooks.on('exit', restore);

  let pty: PtyProcess;
  try {
    if (stdin.isTTY && stdin.setRawMode) {
      stdin.setRawMode(true);
      rawMode = true;
    }
    write(painter.start());
    pty = (opts.pty ?? nodePty).spawn(file, [...opts.args], {
      name: opts.env.TERM ?? 'xterm-256color',
      cols: painter.columns,
      rows: childRows(),
      cwd: opts.cwd,
      env: opts.env,
    });
  } catch (err) {
    restore();
    throw err;
  }

  // Child output → painter → terminal, with backpressure.
  const onDrain = (): void => pty.resume();
  const data = pty.onData((chunk) => {
    if (!write(painter.paint(chunk))) {
      pty.pause();
      stdout.off('drain', onDrain);
      stdout.on('drain', onDrain);
    }
  });
  cleanups.push(() => data.dispose(), () => stdout.off('drain', onDrain));

  // Keystrokes → idle clock → child (or the open prompt).
  const decoder = new StringDecoder('utf8');
  const classifier = new InputClassifier();
  let keyHandler: KeyHandler | null = null;
  const onInput = (raw: Buffer | string): void => {
    const text = typeof raw === 'string' ? raw : decoder.write(raw);
    if (!text) return;
    const tokens = classifier.classify(text);
    const user = tokens.filter(isUserToken);
    if (user.length > 0) idle.keystroke();
    if (!keyHandler) {
      pty.write(text);
      return;
    }
    // A prompt is open: the terminal's replies still go to the child, the user's keys do not.
    const replies = tokens.filter((t) => !isUserToken(t)).map((t) => t.text).join('');
    if (replies) pty.write(replies);
    keyHandler(user);
  };
  stdin.on('data', onInput);
  stdin.resume();
  cleanups.push(() => stdin.off('data', onInput));

  // Prompts, one at a time.
  let promptText: (columns: number) => string = () => '';
  const enders = new Set<() => void>();
  let queue: Promise<unknown> = Promise.resolve();
  const showPrompt = (text: (columns: number) => string): void => {
    promptText = text;
    write(painter.setBar(text(painter.columns)));
    if (!painter.pending) return;
    // The child stopped mid-sequence (it is paused while we ask): it will write nothing more, so
    // the prompt is forced out after a moment rather than waiting for its next output.
    void clock.sleep(PROMPT_FLUSH_MS).then(() => {
      if (keyHandler !== null && promptText === text && !restored) write(painter.flush());
    });
  };
  const closePrompt = (): void => {
    keyHandler = null;
    if (!restored) write(painter.setBar(barText(painter.columns)));
  };
  const withPrompt = <T>(run: (settle: (value: T) => void) => void, ended: T): Promise<T> => {
    const turn = queue.then(
      () =>
        new Promise<T>((resolve) => {
          if (restored) return resolve(ended);
          const end = (): void => settle(ended);
          const settle = (value: T): void => {
            enders.delete(end);
            closePrompt();
            resolve(value);
          };
          enders.add(end);
          run(settle);
        }),
    );
    queue = turn.catch(() => undefined);
    return turn;
  };

  // The terminal resized: the child gets rows-1, the bar moves to the new last row.
  const onResize = (): void => {
    const columns = stdout.columns;
    write(painter.resize(stdout.rows, columns, keyHandler ? promptText(columns) : barText(columns)));
    pty.resize(columns, childRows());
  };
  stdout.on('resize', onResize);
  cleanups.push(() => stdout.off('resize', onResize));

  let exitedResolve: (exit: AgentExit) => void = () => undefined;
  const exited = new Promise<AgentExit>((resolve) => (exitedResolve = resolve));
  const onExit = pty.onExit(({ exitCode, signal }) => {
    restore();
    for (const end of [...enders]) end();
    const name = signal ? (SIGNAL_NAMES.get(signal) ?? null) : null;
    exitedResolve(name ? { code: null, signal: name } : { code: exitCode, signal: null });
  });
  cleanups.push(() => onExit.dispose());

  return {
    pid: pty.pid,
    exited,
    idle,
    size: () => ({ rows: childRows(), columns: painter.columns }),
    setBar(next) {
      bar = next;
      if (!keyHandler && !restored) write(painter.setBar(barText(painter.columns)));
    },
    ask(prompt, keys) {
      return withPrompt<string | null>((settle) => {
        showPrompt((columns) => (typeof prompt === 'function' ? prompt(columns) : prompt));
        keyHandler = (user) => {
          const key = answerOf(user, keys);
          if (key !== null) settle(key);
        };
      }, null);
    },
    askLine(prompt, accept = /^[0-9.]$/) {
      return withPrompt<string | null>((settle) => {
        let line: LineState = { text: '', status: 'open' };
        showPrompt((columns) => prompt(line.text, columns));
        keyHandler = (user) => {
          line = editLine(line, user, accept);
          if (line.status === 'done') settle(line.text);
          else if (line.status === 'cancelled') settle(null);
          else showPrompt((columns) => prompt(line.text, columns));
        };
      }, null);
    },
    async redraw() {
      const rows = childRows();
      if (restored || rows < 2) return;
      pty.resize(painter.columns, rows - 1);
      await clock.sleep(opts.redrawDelayMs ?? 50);
      if (!restored) pty.resize(painter.columns, childRows());
    },
    restore,
  };
}
