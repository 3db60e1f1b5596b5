import type { InputRouter } from './pty-input-router.js';
import { answerOf, editLine, type LineState } from './pty-prompt.js';
import type { TerminalPainter } from './terminal-painter.js';
import type { Clock } from './terminate.js';

/** How long a prompt waits for the child to finish a half-written sequence before it is drawn anyway. */
const PROMPT_FLUSH_MS = 150;

type RowText = (columns: number) => string;

export interface PromptSurface {
  painter: TerminalPainter;
  write: (text: string) => unknown;
  clock: Clock;
  /** The bar's text, shown again when a prompt closes. */
  barText: RowText;
  /** Whether the terminal was given back (nothing is drawn after that; questions end at once). */
  restored: () => boolean;
}

/** Questions on the bar row, one at a time: each waits its turn, takes the keys, then gives the row back to the bar. */
export class PromptQueue {
  private text: RowText = () => '';
  private readonly enders = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly s: PromptSurface,
    private readonly router: InputRouter,
  ) {}

  get open(): boolean {
    return this.router.keys !== null;
  }

  /** What the bar row shows now: the open prompt, or the bar. */
  row(columns: number): string {
    return this.open ? this.text(columns) : this.s.barText(columns);
  }

  /** Resolves with the first of `keys` typed alone (either case); null if the session ends first. */
  ask(prompt: string | RowText, keys: readonly string[]): Promise<string | null> {
    return this.take<string | null>((settle) => {
      this.show((columns) => (typeof prompt === 'function' ? prompt(columns) : prompt));
      this.router.keys = (user) => {
        const key = answerOf(user, keys);
        if (key !== null) settle(key);
      };
    }, null);
  }

  /** Reads a line of `accept`ed characters: Enter resolves with it; Escape, Ctrl-C or the end with null. */
  askLine(prompt: (text: string, columns: number) => string, accept: RegExp): Promise<string | null> {
    return this.take<string | null>((settle) => {
      let line: LineState = { text: '', status: 'open' };
      this.show((columns) => prompt(line.text, columns));
      this.router.keys = (user) => {
        line = editLine(line, user, accept);
        if (line.status === 'done') settle(line.text);
        else if (line.status === 'cancelled') settle(null);
        else this.show((columns) => prompt(line.text, columns));
      };
    }, null);
  }

  /** The session ended: every open question resolves with its "ended" value. */
  endAll(): void {
    for (const end of [...this.enders]) end();
  }

  private show(text: RowText): void {
    const { painter, write } = this.s;
    this.text = text;
    write(painter.setBar(text(painter.columns)));
    if (!painter.pending) return;
    // The child stopped mid-sequence (it is paused while we ask): it will write nothing more, so
    // the prompt is forced out after a moment rather than waiting for its next output.
    void this.s.clock.sleep(PROMPT_FLUSH_MS).then(() => {
      if (this.open && this.text === text && !this.s.restored()) write(painter.flush());
    });
  }

  private close(): void {
    this.router.keys = null;
    if (!this.s.restored()) this.s.write(this.s.painter.setBar(this.s.barText(this.s.painter.columns)));
  }

  private take<T>(run: (settle: (value: T) => void) => void, ended: T): Promise<T> {
    const turn = this.queue.then(
      () =>
        new Promise<T>((resolve) => {
          if (this.s.restored()) return resolve(ended);
          const end = (): void => settle(ended);
          const settle = (value: T): void => {
            this.enders.delete(end);
            this.close();
            resolve(value);
          };
          this.enders.add(end);
          run(settle);
        }),
    );
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}
