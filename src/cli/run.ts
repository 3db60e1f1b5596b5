import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { BudgetKeeper } from '../budget/keeper.js';
import { usdToNano } from '../budget/money.js';
import { compilePatterns } from '../budget/phases.js';
import type { LoadedPolicy } from '../config/load.js';
import { describeSource } from '../config/sources.js';
import { watchResolvedPolicy } from '../config/watch.js';
import { enginePolicyOf } from './run-policy.js';
import { preflight } from './run-preflight.js';
import { dataDir } from '../ledger/data-dir.js';
import { githubSummary } from '../ledger/github-summary.js';
import { LedgerUrlError, openLedger } from '../ledger/open-ledger.js';
import { LocalPathError, writableFile } from '../ledger/local-path.js';
import { writeRecordFile } from '../ledger/record-file.js';
import { storedCommand } from '../ledger/redact-command.js';
import { buildRunRecord, type RunFacts, type RunRecord } from '../ledger/run-record.js';
import { RunJournal } from './run-journal.js';
import type { PriceBook } from '../pricing/price-book.js';
import { ConversationMemory } from '../proxy/conversations.js';
import { InputEstimator } from '../proxy/input-estimator.js';
import { OutputEstimator } from '../proxy/output-estimator.js';
import { proxyEndpoints, routeEndpoints } from '../proxy/mounts.js';
import { compileRoutes } from '../proxy/routes.js';
import { createProxy, listenLoopback } from '../proxy/server.js';
import { createRunDir } from '../supervisor/launch-files.js';
import type { SealedRun, SealedSetup } from '../sealed/index.js';
import { agentEnvironment, CONTROL_URL_VAR, RUN_MARKER_VAR } from '../supervisor/agent-env.js';
import { LaunchError, shellExitCode, spawnAgent, type AgentExit, type SpawnFn } from '../supervisor/spawn-agent.js';
import type { TerminalRun } from './run-terminal.js';
import { signalTree, terminateTree } from '../supervisor/terminate.js';
import { capsText, LineReporter } from '../ui/line-reporter.js';
import { holdSignals, type HeldSignals } from './early-signals.js';
import { EXIT, UsageError } from './exit-codes.js';
import { DEFAULTS } from './defaults.js';

export interface RunOptions {
  /** The effective policy: flags, environment, .budgetrc, user defaults, preset, built-ins. */
  policy: LoadedPolicy;
  record: string | null;
  /** capped's signal handlers, installed when `run` started (installed here when absent). */
  signals?: HeldSignals;
}

export interface RunDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: (text: string) => void;
  /** Whether capped's stdin is a terminal (the terminal then delivers Ctrl-C to the agent itself). */
  stdinIsTTY: boolean;
  /** With stdin, whether capped runs the agent in a PTY under the live budget bar. */
  stdoutIsTTY?: boolean;
  stderrIsTTY: boolean;
  now: () => Date;
  /** Where process signals arrive (the real `process` in production). */
  signals: EventEmitter;
  spawn?: SpawnFn;
  prices?: PriceBook;
}

function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** `capped run`: the one place that wires proxy, budget, supervisor, reporter and ledger together. */
export async function runCommand(command: readonly string[], opts: RunOptions, deps: RunDeps): Promise<number> {
  const signals = opts.signals ?? holdSignals(deps.signals);
  const startedAt = deps.now();
  const runId = newRunId(startedAt);
  const p = opts.policy.policy;
  const { interactive, caps, enginePolicy, prices, mounts, recipe, plan } = preflight(command, opts.policy, deps);
  // A CI job must not pass without its record: a path that cannot be written stops here (exit 2).
  if (opts.record) writableFile(path.resolve(deps.cwd, opts.record), 'the --record file');
  // Checked before anything starts: a sealed run that cannot be sealed here is a usage error.
  const sealing: SealedSetup | null = p.sealed ? (await import('../sealed/index.js')).prepareSealed(deps.env, describeSource(opts.policy.sources.sealed!)) : null;
  const keeper = new BudgetKeeper(caps, enginePolicy);
  // While the agent's PTY owns the screen, capped's own lines wait until it is done.
  const held: string[] = [];
  let screenBusy = false;
  const say = (text: string): void => {
    if (screenBusy) held.push(text);
    else deps.stderr(text);
  };
  const reporter = new LineReporter(say, {
    color: deps.stderrIsTTY && !deps.env.NO_COLOR,
    everyRequest: !deps.stderrIsTTY,
  });
  const rules = { restrictedTools: new Set(p.restrictedTools), verifyPatterns: compilePatterns(p.verifyPatterns), reserve: p.reserve, allowRoutes: compileRoutes(p.allowRoutes), batches: p.batches };
  const journal = await openJournal(runId, p, deps);
  if (journal) keeper.onAction((action, state) => journal.action(action, state));
  const secret = randomBytes(16).toString('hex');
  let apiEquivalent = false;
  const toolsRemoved = new Set<string>();
  const pricing = { mode: p.reserve as string, riskNano: 0, countCalls: 0 };
  let upstreamNonCompliant = false;
  let proxyClosed = false;
  const reserveIn = (j: RunJournal, id: string, provider: string): Promise<void> => {
    const reservation = keeper.state.reserved[id];
    return reservation ? j.reserve(id, reservation, provider, deps.now().toISOString()) : Promise.resolve();
  };
  const proxy = createProxy({
    secret,
    mounts: sealing ? sealing.mounts(mounts) : mounts,
    keeper,
    prices,
    estimator: new InputEstimator(),
    outputs: new OutputEstimator(),
    conversations: new ConversationMemory(),
    rules,
    ...(journal && (p.daily !== null || p.weekly !== null)
      ? { window: journal.windowGate({ daily: p.daily === null ? null : usdToNano(p.daily), weekly: p.weekly === null ? null : usdToNano(p.weekly) }, p.onLimit === 'pause', deps.now) }
      : {}),
    now: deps.now,
    ...(journal ? { reserve: (id: string, provider: string) => reserveIn(journal, id, provider) } : {}),
    notify: (notice) => {
      // Sockets destroyed at the end report their failure; the run is already accounted for.
      if (proxyClosed) return;
      if (notice.type === 'subscription') apiEquivalent = true;
      if (notice.type === 'tools-removed') for (const name of notice.names) toolsRemoved.add(name);
      if (notice.type === 'counted') pricing.countCalls++;
      if (notice.type === 'settled') {
        pricing.riskNano = Math.max(pricing.riskNano, notice.billedInputNano - notice.reservedInputNano);
        upstreamNonCompliant ||= notice.overrun;
      }
      // Into the ledger before anything is printed about it.
      journal?.notice(notice, deps.now().toISOString());
      // Under the live bar, spend is in view already; only what needs words is kept for the end.
      if (!interactive || notice.type !== 'settled') reporter.notice(notice, keeper.state);
    },
  });
  const port = await listenLoopback(proxy.server);
  const origin = `http://127.0.0.1:${port}/${secret}`;
  const endpoints = proxyEndpoints(origin);
  const sealed: SealedRun | null = sealing
    ? await sealing.start({ proxyServer: proxy.server, secret, port, rules: { allow: p.sealedAllow, deny: p.sealedDeny }, say })
    : null;
  // Settings files the agent is pointed at live as long as the run.
  const runDir = createRunDir();
  const launch = plan.launch({
    endpoints,
    routes: routeEndpoints(origin, plan.routes),
    // Made only for a recipe that writes settings files.
    get dir() {
      return runDir.dir;
    },
  });
  runDir.write(launch.files);
  const agentEnv = agentEnvironment(deps.env, { ...launch.env, [CONTROL_URL_VAR]: `${origin}/_capped` }, runId);
  const env = sealed ? sealed.env(agentEnv) : agentEnv;
  const agentArgv = launch.argv;
  const argv = sealed ? sealed.argv(agentArgv) : agentArgv;
  const marker = `${RUN_MARKER_VAR}=${runId}`;

  // What is stored and printed of the command: prompts and keys in it are not (unless --keep-args).
  const shownCommand = storedCommand(command, p.keepArgs);
  const facts = (exitCode: number, endedAt: Date): RunFacts => ({
    id: runId,
    command: shownCommand,
    cwd: deps.cwd,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    exitCode,
    apiEquivalent,
    preset: p.policy,
    restrictedTools: p.restrictedTools,
    toolsRemoved: [...toolsRemoved],
    reservation: { ...pricing },
    upstreamNonCompliant,
  });
  const opening = buildRunRecord(keeper.state, facts(0, startedAt));
  await journal?.start({ id: runId, command: opening.command, cwd: deps.cwd, startedAt: opening.startedAt, budget: opening.budget, policy: opening.policy });
  if (!interactive) reporter.start({ runId, caps, command: shownCommand, agent: recipe.name, onLimit: enginePolicy.onLimit === p.onLimit ? p.onLimit : `${enginePolicy.onLimit} (${p.onLimit} needs a terminal)` });
  if (plan.warning) deps.stderr(`capped: note: ${plan.warning}\n`);
  // An edited .budgetrc applies to the running session; an invalid edit keeps the policy in force.
  const closeWatch = await watchResolvedPolicy(
    opts.policy.layers,
    (next) => {
      const updated = enginePolicyOf(next.policy, interactive);
      rules.restrictedTools = new Set(next.policy.restrictedTools);
      rules.verifyPatterns = compilePatterns(next.policy.verifyPatterns);
      rules.reserve = next.policy.reserve;
      rules.allowRoutes = compileRoutes(next.policy.allowRoutes);
      rules.batches = next.policy.batches;
      sealed?.setRules({ allow: next.policy.sealedAllow, deny: next.policy.sealedDeny });
      keeper.dispatch({ type: 'policy', at: deps.now().toISOString(), caps: updated.caps, policy: updated.engine });
      say(`capped: policy reloaded from ${next.file ?? '.budgetrc'}: ${capsText(updated.caps)}\n`);
    },
    (err) => say(`capped: warning: ${err.message} (keeping the policy in force)\n`),
    { cwd: deps.cwd },
  );
  let agent: { pid: number; exited: Promise<AgentExit> };
  let terminal: TerminalRun | null = null;
  try {
    if (interactive) {
      const { startTerminalRun } = await import('./run-terminal.js');
      // The configured model's output price, for the panel's "max spend ≈ N tokens" (any provider).
      const model = p.model;
      const quote = model ? ['anthropic', 'openai', 'google'].map((id) => prices.quote(id, model, 0)).find((q) => q !== null) : undefined;
      terminal = startTerminalRun({ argv, command: agentArgv, env, cwd: deps.cwd, keeper, policy: p, marker, color: !deps.env.NO_COLOR, outPicoPerToken: quote?.outPicoPerToken ?? null, warn: say });
      screenBusy = true;
      agent = { pid: terminal.session.pid, exited: terminal.session.exited };
    } else {
      agent = await spawnAgent(argv[0]!, argv.slice(1), env, deps.spawn);
    }
  } catch (err) {
    proxy.close();
    runDir.remove();
    sealed?.close();
    await closeWatch();
    signals.release();
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

  let signalled = false;
  signals.forwardTo((signal, early) => {
    // In a terminal, Ctrl-C already reached the agent (same process group): sending it again
    // would read as a double Ctrl-C, and the agent decides what Ctrl-C means. One that came
    // before the agent was started reached capped alone.
    if (signal === 'SIGINT' && deps.stdinIsTTY && !early) return;
    // From outside (kill, CI): the agent hears the signal first, then its whole tree ends the way a
    // cap stop ends it (children that ignore it, `&` jobs and setsid strays included).
    signalled = true;
    signalTree(root, signal, { graceMs: 0, marker });
    stopAgent(DEFAULTS.killGraceMs);
  });
  // Someone may be at the terminal without capped's PTY (output piped): idle by the tty's atime.
  const stopIdle =
    !interactive && deps.stdinIsTTY && p.idle !== null
      ? (await import('./run-line-idle.js')).watchIdleByAtime({ keeper, idleMs: p.idle, pid: root, marker, stderr: deps.stderr })
      : null;

  const exit = await agent.exited;
  if (stop.done) await stop.done;
  // Stopped from outside, whoever sent the signal waits on capped: responses still streaming get
  // less time, and what they did not report is charged at its reservation.
  const drainMs = signalled ? DEFAULTS.signalDrainMs : DEFAULTS.drainMs;
  await Promise.race([proxy.idle(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
  for (const [id, r] of Object.entries(keeper.state.reserved)) {
    const at = deps.now().toISOString();
    journal?.abandoned(id, r, at);
    keeper.dispatch({ type: 'abandon', id, at });
  }
  proxyClosed = true;
  proxy.close();
  runDir.remove();
  sealed?.close();
  await closeWatch();
  stopIdle?.();
  signals.release();

  const state = keeper.state;
  const exitCode = state.hardStop ? EXIT.limit : shellExitCode(exit);
  const record = buildRunRecord(state, facts(exitCode, deps.now()));
  if (sealed) record.sealed = sealed.summary();
  const recordFile = saveRecord(record, opts.record, deps);
  // The record was asked for and is missing: the job must not read as passed.
  const finalCode = opts.record && recordFile === null && exitCode === EXIT.ok ? EXIT.internal : exitCode;
  await journal?.finish(record);
  screenBusy = false;
  if (terminal) {
    terminal.finish(record, recordFile);
    for (const text of held) deps.stderr(text);
  } else {
    reporter.summary(record, recordFile);
  }
  return finalCode;
}

/** Writes the record file and the CI summary; a failure is reported, and the record printed instead. */
function saveRecord(record: RunRecord, file: string | null, deps: RunDeps): string | null {
  let written: string | null = null;
  if (file) {
    try {
      writeRecordFile(path.resolve(deps.cwd, file), record);
      written = file;
    } catch (err) {
      deps.stderr(`capped: could not write the record to ${file}: ${(err as Error).message}\n${JSON.stringify(record)}\n`);
    }
  }
  const summary = deps.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      fs.appendFileSync(summary, githubSummary(record));
    } catch (err) {
      deps.stderr(`capped: could not append to GITHUB_STEP_SUMMARY (${summary}): ${(err as Error).message}\n`);
    }
  }
  return written;
}

/**
 * Opens the ledger the policy names. Without one the run still works (the record file and the
 * summary are written), but a run with a window ceiling cannot be checked against other runs.
 */
async function openJournal(runId: string, p: LoadedPolicy['policy'], deps: RunDeps): Promise<RunJournal | null> {
  try {
    const ledger = await openLedger({ url: p.ledger.url, dataDir: dataDir(deps.env), retentionDays: p.retentionDays, now: deps.now });
    return new RunJournal(ledger, runId, deps.stderr);
  } catch (err) {
    if (err instanceof LocalPathError) throw err; // bad local state: one line, exit 2
    const why = (err as Error).message;
    if (err instanceof LedgerUrlError || p.daily !== null || p.weekly !== null) {
      throw new UsageError(`The run ledger could not be opened (${why}); it is needed for daily and weekly ceilings.`);
    }
    deps.stderr(`capped: warning: the run ledger could not be opened (${why}); this run will not be in \`capped runs\`.\n`);
    return null;
  }
}
