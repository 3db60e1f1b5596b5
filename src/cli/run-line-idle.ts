import fs from 'node:fs';
import tty from 'node:tty';
import type { BudgetKeeper } from '../budget/keeper.js';
import { createIdleClock, ttyAtime } from '../supervisor/idle-clock.js';
import { whileTreeStopped } from '../supervisor/terminate.js';

export interface LineIdleOptions {
  keeper: BudgetKeeper;
  idleMs: number;
  /** The agent's process tree, paused while the question is open. */
  pid: number;
  marker: string;
  stderr: (text: string) => void;
  /** Reads one line typed at the terminal (default: from /dev/tty). */
  readLine?: () => Promise<string | null>;
}

/**
 * Reads one line from the controlling terminal; null when there is none. A tty stream (not a
 * file stream: a blocking read left in the thread pool crashes Node at exit).
 */
function readTtyLine(): Promise<string | null> {
  return new Promise((resolve) => {
    let fd: number;
    try {
      fd = fs.openSync('/dev/tty', 'r');
    } catch {
      resolve(null);
      return;
    }
    const stream = new tty.ReadStream(fd);
    let text = '';
    const done = (line: string | null): void => {
      stream.destroy();
      resolve(line);
    };
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end !== -1) done(text.slice(0, end).trim());
    });
    stream.on('error', () => done(null));
    stream.on('end', () => done(null));
  });
}

/**
 * The idle-user stop when the agent runs without capped's PTY but a person may be at the
 * terminal (stdin a TTY, output piped): the clock is the terminal's access time (it moves when
 * anyone reads typed input), and the question is asked in plain lines on stderr with the agent's
 * tree stopped, answered with a line typed at the terminal.
 */
export function watchIdleByAtime(o: LineIdleOptions): () => void {
  const clock = createIdleClock({ now: () => Date.now(), atime: ttyAtime(0) });
  const readLine = o.readLine ?? readTtyLine;
  const timer = setInterval(
    () => {
      if (!o.keeper.state.idle && clock.idleMs() >= o.idleMs) o.keeper.dispatch({ type: 'idle', at: new Date().toISOString() });
    },
    Math.min(1000, Math.max(100, o.idleMs / 10)),
  );
  timer.unref();
  let questions: Promise<void> = Promise.resolve();
  o.keeper.onAction((action) => {
    if (action.type !== 'ask' || action.kind !== 'idle') return;
    questions = questions.then(async () => {
      if (!(action.id in o.keeper.state.pending)) return;
      const question = `${action.question}${action.detail ? ` ${action.detail}` : ''}`;
      let answer: string | null = null;
      try {
        answer = await whileTreeStopped(o.pid, { marker: o.marker }, () => {
          o.stderr(`capped: ${question}${question.endsWith('?') ? '' : ' Continue?'} Type y and Enter to continue, anything else to stop: `);
          return readLine();
        });
        // Someone just answered: they are at the keyboard (the tty's atime moves only in 8-second steps).
        clock.keystroke();
      } catch (err) {
        // No answer could be read: no more spend without one (fail closed).
        o.stderr(`\ncapped: warning: could not read the answer (${(err as Error).message}); answered no.\n`);
      }
      o.keeper.answer(action.id, new Date().toISOString(), answer !== null && /^y(es)?$/i.test(answer));
    });
  });
  return () => clearInterval(timer);
}
