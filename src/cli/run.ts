import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { EventEmitter } from 'node:events';
import { BudgetKeeper } from '../budget/keeper.js';
import { usdToNano } from '../budget/money.js';
import { compilePatterns } from '../budget/phases.js';
import { describeSource, watchResolvedPolicy, type LoadedPolicy } from '../config/index.js';
import { enginePolicyOf } from './run-policy.js';
import { preflight } from './run-preflight.js';
import { dataDir } from '../ledger/data-dir.js';
import { githubSummary } from '../ledger/github-summary.js';
import { LedgerUrlError, openLedger } from '../ledger/open-ledger.js';
import { writeRecordFile } from '../ledger/record-file.js';
import { buildRunRecord, type RunFacts, type RunRecord } from '../ledger/run-record.js';
import { RunJournal } from './run-journal.js';
import type { PriceBook } from '../pricing/price-book.js';
import { ConversationMemory } from '../proxy/conversations.js';
import { InputEstimator, OutputEstimator } from '../proxy/input-estimator.js';
import { proxyEndpoints } from '../proxy/mounts.js';
import { createProxy, listenLoopback } from '../proxy/server.js';
import type { SealedRun, SealedSetup } from '../sealed/index.js';
import { applyRecipeArgs } from '../supervisor/agent-recipes.js';
import { agentEnvironment, CONTROL_URL_VAR, RUN_MARKER_VAR } from '../supervisor/agent-env.js';
import { LaunchError, shellExitCode, spawnAgent, type AgentExit, type SpawnFn } from '../supervisor/spawn-agent.js';
import type { TerminalRun } from './run-terminal.js';
import { signalTree, terminateTree } from '../supervisor/terminate.js';
import { capsText, LineReporter } from '../ui/line-reporter.js';
import { EXIT, UsageError } from './exit-codes.js';
import { DEFAULTS } from './defaults.js';

export interface RunOptions {
  /** The effective policy: flags, environment, .budgetrc, user defaults, preset, built-ins. */
  policy: LoadedPolicy;
  record: string | null;
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
  const startedAt = deps.now();
  const runId = newRunId(startedAt);
  const p = opts.policy.policy;
  const { interactive, caps, enginePolicy, prices, mounts, recipe, verdict } = preflight(command, opts.policy, deps);
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
  const rules = { restrictedTools: new Set(p.restrictedTools), verifyPatterns: compilePatterns(p.verifyPatterns), reserve: p.reserve };
  const journal = await openJournal(runId, p, deps);
  if (journal) keeper.onAction((action, state) => journal.action(action, state));
  const secret = randomBytes(16).toString('hex');
  let apiEquivalent = false;
  const toolsRemoved = new Set<string>();
  const reservation = { mode: p.reserve as string, riskNano: 0, countCalls: 0 };
  let upstreamNonCompliant = false;
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
    notify: (notice) => {
      if (notice.type === 'subscription') apiEquivalent = true;
      if (notice.type === 'tools-removed') for (const name of notice.names) toolsRemoved.add(name);
      if (notice.type === 'counted') reservation.countCalls++;
      if (notice.type === 'settled') {
        reservation.riskNano = Math.max(reservation.riskNano, notice.billedInputNano - notice.reservedInputNano);
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
  const agentEnv = agentEnvironment(deps.env, { ...recipe.env(endpoints, deps.env), [CONTROL_URL_VAR]: `${origin}/_capped` }, runId);
  const env = sealed ? sealed.env(agentEnv) : agentEnv;
  const agentArgv = applyRecipeArgs(recipe, command, endpoints);
  const argv = sealed ? sealed.argv(agentArgv) : agentArgv;
  const marker = `${RUN_MARKER_VAR}=${runId}`;
  const closeProxy = (): void => {
    proxy.server.close();
    proxy.server.closeAllConnections();
    sealed?.close();
  };

  const facts = (exitCode: number, endedAt: Date): RunFacts => ({
    id: runId,
    command: [...command],
    cwd: deps.cwd,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    exitCode,
    apiEquivalent,
    preset: p.policy,
    restrictedTools: p.restrictedTools,
    toolsRemoved: [...toolsRemoved],
    reservation: { ...reservation },
    upstreamNonCompliant,
  });
  const opening = buildRunRecord(keeper.state, facts(0, startedAt));
  await journal?.start({ id: runId, command: opening.command, cwd: deps.cwd, startedAt: opening.startedAt, budget: opening.budget, policy: opening.policy });
  if (!interactive) reporter.start({ runId, caps, command, agent: recipe.name, onLimit: enginePolicy.onLimit === p.onLimit ? p.onLimit : `${enginePolicy.onLimit} (${p.onLimit} needs a terminal)` });
  if (verdict.warning) deps.stderr(`capped: note: ${verdict.warning}\n`);
  // An edited .budgetrc applies to the running session; an invalid edit keeps the policy in force.
  const closeWatch = await watchResolvedPolicy(
    opts.policy.layers,
    (next) => {
      const updated = enginePolicyOf(next.policy, interactive);
      rules.restrictedTools = new Set(next.policy.restrictedTools);
      rules.verifyPatterns = compilePatterns(next.policy.verifyPatterns);
      rules.reserve = next.policy.reserve;
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
      terminal = startTerminalRun({ argv, command: agentArgv, env, cwd: deps.cwd, keeper, policy: p, marker, color: !deps.env.NO_COLOR, outPicoPerToken: quote?.outPicoPerToken ?? null });
      screenBusy = true;
      agent = { pid: terminal.session.pid, exited: terminal.session.exited };
    } else {
      agent = await spawnAgent(argv[0]!, argv.slice(1), env, deps.spawn);
    }
  } catch (err) {
    closeProxy();
    await closeWatch();
    if (err instanceof LaunchError) {
      deps.stderr(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  const root = agent.pid;
  // Someone may be at the terminal without capped's PTY (output piped): idle by the tty's atime.
  const stopIdle =
    !interactive && deps.stdinIsTTY && p.idle !== null
      ? (await import('./run-line-idle.js')).watchIdleByAtime({ keeper, idleMs: p.idle, pid: root, marker, stderr: deps.stderr })
      : null;

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
  for (const [id, r] of Object.entries(keeper.state.reserved)) {
    const at = deps.now().toISOString();
    journal?.abandoned(r.model, r.nano, r.tokens, r.phase, at);
    keeper.dispatch({ type: 'abandon', id, at });
  }
  closeProxy();
  await closeWatch();
  stopIdle?.();
  for (const [signal, handler] of handlers) deps.signals.off(signal, handler);

  const state = keeper.state;
  const exitCode = state.hardStop ? EXIT.limit : shellExitCode(exit);
  const record = buildRunRecord(state, facts(exitCode, deps.now()));
  if (sealed) record.sealed = sealed.summary();
  const recordFile = saveRecord(record, opts.record, deps);
  await journal?.finish(record);
  screenBusy = false;
  if (terminal) {
    terminal.finish(record, recordFile);
    for (const text of held) deps.stderr(text);
  } else {
    reporter.summary(record, recordFile);
  }
  return exitCode;
}

/** Writes the record file and the CI summary; a failure is reported, and the record printed instead. */
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
    const why = (err as Error).message;
    if (err instanceof LedgerUrlError || p.daily !== null || p.weekly !== null) {
      throw new UsageError(`The run ledger could not be opened (${why}); it is needed for daily and weekly ceilings.`);
    }
    deps.stderr(`capped: warning: the run ledger could not be opened (${why}); this run will not be in \`capped runs\`.\n`);
    return null;
  }
}
