import type { PtyProcess, SessionOutput } from './pty-io.js';

/**
 * Child output → `write` (the painter, then the terminal), with backpressure: when the terminal
 * is full the child is paused until it drains. Returns what stops the pump.
 */
export function pumpOutput(pty: PtyProcess, stdout: SessionOutput, write: (chunk: string) => boolean): () => void {
  const onDrain = (): void => pty.resume();
  const data = pty.onData((chunk) => {
    if (!write(chunk)) {
      pty.pause();
      stdout.off('drain', onDrain);
      stdout.on('drain', onDrain);
    }
  });
  return () => {
    data.dispose();
    stdout.off('drain', onDrain);
  };
}
