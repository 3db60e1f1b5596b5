import { StringDecoder } from 'node:string_decoder';
import type { IdleClock } from './idle-clock.js';
import { InputClassifier, isUserToken, type InputToken } from './idle-filter.js';
import type { PtyProcess } from './pty-io.js';

/** An input mode that takes the user's keys instead of the child (a prompt). */
export type KeyHandler = (userTokens: InputToken[]) => void;

/**
 * Keystrokes → idle clock → the child, or the open prompt: while `keys` is set the user's keys go
 * to it, and only the terminal's own replies (to the child's queries) still reach the child.
 */
export class InputRouter {
  /** The open prompt's handler, or null when keys go to the child. */
  keys: KeyHandler | null = null;
  private readonly decoder = new StringDecoder('utf8');
  private readonly classifier = new InputClassifier();

  constructor(
    private readonly pty: Pick<PtyProcess, 'write'>,
    private readonly idle: IdleClock,
  ) {}

  /** The stdin 'data' listener. */
  readonly onInput = (raw: Buffer | string): void => {
    const text = typeof raw === 'string' ? raw : this.decoder.write(raw);
    if (!text) return;
    const tokens = this.classifier.classify(text);
    const user = tokens.filter(isUserToken);
    if (user.length > 0) this.idle.keystroke();
    if (!this.keys) {
      this.pty.write(text);
      return;
    }
    const replies = tokens
      .filter((t) => !isUserToken(t))
      .map((t) => t.text)
      .join('');
    if (replies) this.pty.write(replies);
    this.keys(user);
  };
}
