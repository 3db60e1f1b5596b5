import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { EventEmitter } from 'node:events';
import { BudgetKeeper } from '../budget/keeper.js';
import { usdToNano } from '../budget/money.js';
import { compilePatterns, DEFAULT_VERIFY_PATTERNS } from '../budget/phases.js';
import type { Caps } from '../budget/types.js';
import { dataDir } from '../ledger/data-dir.js';
import { appendRunLog, writeRecordFile } from '../ledger/run-log.js';
import { buildRunRecord, type RunRecord } from '../ledger/run-record.js';
import { createPriceBook, type PriceBook } from '../pricing/price-book.js';
import { InputEstimator } from '../proxy/input-estimator.js';
import { buildMounts, proxyEndpoints, UpstreamUrlError } from '../proxy/mounts.js';
import { createProxy, listenLoopback } from '../proxy/server.js';
import { applyRecipeArgs, recipeFor } from '../supervisor/agent-recipes.js';
import { agentEnvironment, CONTROL_URL_VAR, RUN_MARKER_VAR } from '../supervisor/agent-env.js';
import { LaunchError, spawnAgent, type AgentExit, type SpawnFn } from '../supervisor/spawn-agent.js';
import { signalTree, terminateTree } from '../supervisor/terminate.js';
import { LineReporter } from '../ui/line-reporter.js';
import { EXIT, UsageError } from './exit-codes.js';
import { DEFAULTS } from './defaults.js';

export interface RunOptions {
  maxUsd: number | null;
  maxTokens: number | null;
  maxActions: number | null;
  record: string | null;
}

export interface RunDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: (text: string) => void;
  /** Whether capped's stdin is a terminal (the terminal then delivers Ctrl-C to the agent itself). */
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  now: () => Date;
  /** Where process signals arrive (the real `process` in production). */
  signals: EventEmitter;
  spawn?: SpawnFn;
  prices?: PriceBook;
}

function readTextFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function exitCodeOf(exit: AgentExit): number {
  if (exit.code !== null) return exit.code;
  const n = exit.signal ? SIGNAL_NUMBERS[exit.signal] : undefined;
  return 128 + (n ?? 1);
}

/** `capped run`: the one place that wires proxy, budget, supervisor, reporter and ledger together. */
export async function runCommand(command: readonly string[], opts: RunOptions, deps: RunDeps): Promise<number> {
  const startedAt = deps.now();
  const runId = newRunId(startedAt);
  const caps: Caps = {
    usd: usdToNano(opts.maxUsd ?? DEFAULTS.maxUsd),
    tokens: opts.maxTokens,
    actions: opts.maxActions,
  };
  let mounts;
  try {
    mounts = buildMounts(deps.env);
  } catch (err) {
    if (err instanceof UpstreamUrlError) throw new UsageError(err.message);
    throw err;
  }
  const recipe = recipeFor(command);
  const verdict = recipe.check?.(deps.env, readTextFile, deps.env.HOME ?? os.homedir()) ?? {};
  if (verdict.error) throw new UsageError(verdict.error);
  const keeper = new BudgetKeeper(caps);
  const reporter = new LineReporter(deps.stderr, {
    color: deps.stderrIsTTY && !deps.env.NO_COLOR,
    everyRequest: !deps.stderrIsTTY,
  });
  const secret = randomBytes(16).toString('hex');
  let apiEquivalent = false;
  const proxy = createProxy({
    secret,
    mounts,
    keeper,
    prices: deps.prices ?? createPriceBook(),
    estimator: new InputEstimator(),
    rules: { restrictedTools: new Set(), verifyPatterns: compilePatterns(DEFAULT_VERIFY_PATTERNS) },
    now: deps.now,
    notify: (notice) => {
      if (notice.type === 'subscription') apiEquivalent = true;
      reporter.notice(notice, keeper.state);
    },
  });
  const port = await listenLoopback(proxy.server);
  const origin = `http://127.0.0.1:${port}/${secret}`;
  const endpoints = proxyEndpoints(origin);
  const env = agentEnvironment(deps.env, { ...recipe.env(endpoints, deps.env), [CONTROL_URL_VAR]: `${origin}/_capped` }, runId);
  const argv = applyRecipeArgs(recipe, command, endpoints);
  const marker = `${RUN_MARKER_VAR}=${runId}`;
  const closeProxy = (): void => {
    proxy.server.close();
    proxy.server.closeAllConnections();
  };

  reporter.start({ runId, caps, command, agent: recipe.name });
  if (verdict.warning) deps.stderr(`capped: note: ${verdict.warning}\n`);
  let agent;
  try {
    agent = await spawnAgent(argv[0]!, argv.slice(1), env, deps.spawn);
  } catch (err) {
    closeProxy();
    if (err instanceof LaunchError) {
      deps.stderr(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  const root = agent.pid;

  const stop: { done: Promise<void> | null } = { done: null };
  const stopAgent = (delayMs: number): void => {
    // Wait out the delay, or less if the agent exits first; then end whatever is left of its tree.
    stop.done ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      void agent.exited.then(() => {
        clearTimeout(timer);
        resolve();
      });
    }).then(() => terminateTree(root, { graceMs: DEFAULTS.killGraceMs, marker }));
  };
  // Give the agent a moment to show the refusal message before its tree is ended.
  keeper.onAction((action) => {
    if (action.type === 'terminate') stopAgent(DEFAULTS.stopDelayMs);
  });

  const forward = (signal: NodeJS.Signals): void => {
    // In a terminal, Ctrl-C already reached the agent (same process group): sending it again
    // would read as a double Ctrl-C. Elsewhere (kill, CI) capped passes the signal on.
    if (signal !== 'SIGINT' || !deps.stdinIsTTY) signalTree(root, signal, { graceMs: 0, marker });
    if (signal !== 'SIGINT') stopAgent(DEFAULTS.killGraceMs);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = (): void => forward(signal);
    deps.signals.on(signal, handler);
    return [signal, handler] as const;
  });

  const exit = await agent.exited;
  if (stop.done) await stop.done;
  await Promise.race([proxy.idle(), new Promise((resolve) => setTimeout(resolve, DEFAULTS.drainMs).unref())]);
  for (const id of Object.keys(keeper.state.reserved)) keeper.dispatch({ type: 'abandon', id, at: deps.now().toISOString() });
  closeProxy();
  for (const [signal, handler] of handlers) deps.signals.off(signal, handler);

  const state = keeper.state;
  const exitCode = state.hardStop ? EXIT.limit : exitCodeOf(exit);
  const record = buildRunRecord(state, {
    id: runId,
    command: [...command],
    cwd: deps.cwd,
    startedAt: startedAt.toISOString(),
    endedAt: deps.now().toISOString(),
    exitCode,
    apiEquivalent,
  });
  const recordFile = saveRecord(record, opts.record, deps);
  reporter.summary(record, recordFile);
  return exitCode;
}

/** Writes the record file and the run log; a failure is reported, and the record printed instead. */
function saveRecord(record: RunRecord, file: string | null, deps: RunDeps): string | null {
  let written: string | null = null;
  if (file) {
    try {
      writeRecordFile(file, record);
      written = file;
    } catch (err) {
      deps.stderr(`capped: could not write the record to ${file}: ${(err as Error).message}\n${JSON.stringify(record)}\n`);
    }
  }
  try {
    appendRunLog(dataDir(deps.env), record);
  } catch (err) {
    deps.stderr(`capped: could not append to the run log in ${dataDir(deps.env)}: ${(err as Error).message}\n`);
  }
  return written;
}
