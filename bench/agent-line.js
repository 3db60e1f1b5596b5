// For the benches whose fake agent reports on one JSON line: runs `capped run ARGS -- node AGENT`
// of build `bin` in `home` (its CAPPED_HOME and HOME too) and resolves with that line, parsed.
import { spawn } from 'node:child_process';
import { nodeInTerminal } from './terminal.js';

/**
 * @param {string} bin a build's bin/capped.js
 * @param {string[]} runArgs capped run's options
 * @param {string} agent the fake agent's script
 * @param {string} home the run's directory
 * @param {Record<string, string>} env what the agent is told, beside PATH, HOME and CAPPED_HOME
 * @param {boolean} terminal run it in a pseudo-terminal (bench/terminal.js), as a user's shell does
 */
export async function agentLine(bin, runArgs, agent, home, env, terminal = false) {
  const argv = [bin, 'run', ...runArgs, '--', process.execPath, agent];
  const runEnv = { PATH: process.env.PATH, HOME: home, CAPPED_HOME: home, ...env };
  if (terminal) return agentLineInTerminal(argv, home, runEnv);
  const child = spawn(process.execPath, argv, { cwd: home, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderrTail = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderrTail = (stderrTail + d).slice(-2000)));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  const line = stdout.trim().split('\n').pop();
  if (code !== 0 || !line?.startsWith('{')) throw new Error(`capped run exited ${code}\n${stderrTail}`);
  return JSON.parse(line);
}

/** agentLine in a pseudo-terminal: TERM as a terminal's, the agent's line picked out of the painted output. */
function agentLineInTerminal(argv, home, env) {
  return new Promise((resolve, reject) => {
    let line = null;
    nodeInTerminal(
      argv,
      { cwd: home, env: { TERM: 'xterm-256color', ...env } },
      (text) => (line = text),
      (code, signal, text) => {
        if (code !== 0 || line === null) reject(new Error(`capped run in a terminal exited ${signal || code}\n${text.slice(-2000)}`));
        else resolve(JSON.parse(line));
      },
    );
  });
}
