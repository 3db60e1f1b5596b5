// For the benches that run `capped run` as a user at a shell runs it: in a pseudo-terminal, so
// capped runs the agent in a PTY of its own, passes its output through and paints the budget bar.
import nodePty from '@lydell/node-pty';

// A JSON object on a line of its own in terminal output (the bar is painted around it, not in it).
const JSON_LINE = /^[^{\n]*?(\{"[^\r\n]*\})\r*\n/gm;
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[78]/g;

/**
 * Runs `node ...args` in a 200 × 50 pseudo-terminal (stdin, stdout and stderr one terminal).
 * `onJsonLine(text)` gets each JSON line it prints; `onExit(code, signal, text)` gets the end of
 * its output, escape sequences taken out (the run's own errors). Returns the node-pty terminal:
 * `write('\x04')` (Ctrl-D) ends the input of a program reading it; `kill()`; `pid`.
 */
export function nodeInTerminal(args, { cwd, env }, onJsonLine, onExit) {
  const term = nodePty.spawn(process.execPath, args, { name: 'xterm-256color', cols: 200, rows: 50, cwd, env });
  let pending = '';
  let tail = '';
  term.onData((d) => {
    pending += d;
    tail = (tail + d).slice(-4096);
    JSON_LINE.lastIndex = 0;
    let used = 0;
    for (let m = JSON_LINE.exec(pending); m !== null; m = JSON_LINE.exec(pending)) {
      onJsonLine(m[1]);
      used = JSON_LINE.lastIndex;
    }
    // Only the unfinished line is kept: the bar is painted after every request.
    pending = pending.slice(Math.max(used, pending.lastIndexOf('\n') + 1));
  });
  term.onExit(({ exitCode, signal }) => onExit(exitCode, signal, tail.replace(ESCAPES, '').trim()));
  return term;
}
