import { quoteAnyProvider } from '../pricing/any-provider.js';
import { proxyEndpoints, routeEndpoints } from '../proxy/mounts.js';
import { agentEnvironment, CONTROL_URL_VAR, RUN_MARKER_VAR } from '../supervisor/agent-env.js';
import { createRunDir, type RunDir } from '../supervisor/launch-files.js';
import { spawnAgent, type AgentExit } from '../supervisor/spawn-agent.js';
import { drawsColor } from '../ui/color-support.js';
import { DEFAULTS } from './defaults.js';
import { fullCollection, trimWhenQuiet } from './memory-trim.js';
import type { RunSession } from './run-setup.js';
import type { TerminalRun } from './run-terminal.js';

/** The agent, started: in a PTY under the budget bar at a terminal, with pipes otherwise. */
export interface LaunchedAgent {
  pid: number;
  exited: Promise<AgentExit>;
  /** The environment entry that marks the agent's whole tree, strays included. */
  marker: string;
  terminal: TerminalRun | null;
  /** Settings files the agent is pointed at, alive as long as the run. */
  runDir: RunDir;
}

/** Starts the agent pointed at the proxy. On failure the run directory is already removed. */
export async function launchAgent(run: RunSession): Promise<LaunchedAgent> {
  const runDir = createRunDir();
  try {
    const launch = run.plan.launch({
      endpoints: proxyEndpoints(run.origin),
      routes: routeEndpoints(run.origin, run.plan.routes),
      // Made only for a recipe that writes settings files.
      get dir() {
        return runDir.dir;
      },
    });
    runDir.write(launch.files);
    const agentEnv = agentEnvironment(run.deps.env, { ...launch.env, [CONTROL_URL_VAR]: `${run.origin}/_capped` }, run.id);
    const env = run.sealed ? run.sealed.env(agentEnv) : agentEnv;
    const argv = run.sealed ? run.sealed.argv(launch.argv) : launch.argv;
    const marker = `${RUN_MARKER_VAR}=${run.id}`;
    if (!run.interactive) {
      const agent = await spawnAgent(argv[0]!, argv.slice(1), env, run.deps.spawn);
      return { ...agent, marker, terminal: null, runDir };
    }
    const { startTerminalRun } = await import('./run-terminal.js');
    const p = run.policy;
    // The configured model's output price, for the panel's "max spend ≈ N tokens" (any provider).
    const quote = p.model ? quoteAnyProvider(run.prices, p.model) : null;
    const terminal = await startTerminalRun({
      argv,
      command: launch.argv,
      env,
      cwd: run.deps.cwd,
      keeper: run.keeper,
      policy: p,
      marker,
      // Ink's chalk chose before from the same environment; NO_COLOR is capped's own.
      color: !run.deps.env.NO_COLOR && drawsColor(run.deps.env, run.deps.stdoutIsTTY === true),
      outPicoPerToken: quote?.outPicoPerToken ?? null,
      warn: run.output.say,
      history: run.history,
      startedAtMs: run.startedAt.getTime(),
    });
    run.output.hold();
    return { pid: terminal.session.pid, exited: terminal.session.exited, marker, terminal, runDir };
  } catch (err) {
    runDir.remove();
    throw err;
  }
}

/**
 * What runs beside the agent until it exits: the warm-up, which makes the price data and the
 * upstreams' pools while the agent starts up instead of on its first request (which would wait
 * about 65 ms for them; a run whose agent has ended by then never loads them), and the memory
 * trim after a burst of requests (memory-trim.ts).
 */
export function whileAgentRuns(
  run: Pick<RunSession, 'prices' | 'proxy' | 'keeper'>,
  agent: Pick<LaunchedAgent, 'exited'>,
  collect: () => void = fullCollection,
): void {
  const warm = setTimeout(() => {
    try {
      run.prices.warm();
      run.proxy.warm();
    } catch {
      // Nothing is lost: the first request does the same work, and reports what fails.
    }
  }, DEFAULTS.warmMs).unref();
  // Requests as the budget sees them, not the proxy's connections: a Responses WebSocket stays
  // open the whole session, its responses coming and going; the engine replaces its state on
  // every event of every request.
  const traffic = { inFlight: () => Object.keys(run.keeper.state.reserved).length, activity: () => run.keeper.state };
  const stopTrim = trimWhenQuiet(traffic, DEFAULTS.trimCheckMs, collect);
  void agent.exited.then(() => {
    clearTimeout(warm);
    stopTrim();
  });
}
