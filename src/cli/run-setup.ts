import path from 'node:path';
import { BudgetKeeper } from '../budget/keeper.js';
import { nanoToUsd, usdToNano } from '../budget/money.js';
import { compilePatterns } from '../budget/phases.js';
import type { Caps, EnginePolicy } from '../budget/types.js';
import type { LoadedPolicy } from '../config/load.js';
import { describeSource } from '../config/sources.js';
import { watchResolvedPolicy } from '../config/watch.js';
import { dataDir } from '../ledger/data-dir.js';
import type { RunHistory } from '../ledger/history.js';
import { LocalPathError, writableFile } from '../config/local-path.js';
import { LedgerUrlError, openLedger } from '../ledger/open-ledger.js';
import { storedCommand } from '../ledger/redact-command.js';
import { buildRunRecord, type RunFacts, type RunRecord } from '../ledger/run-record.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { ProxyNotice } from '../model/notices.js';
import { ConversationMemory } from '../proxy/conversations.js';
import { GuardWatch } from '../proxy/guard-watch.js';
import { InputEstimator } from '../proxy/input-estimator.js';
import { OutputEstimator } from '../proxy/output-estimator.js';
import { compileRoutes } from '../proxy/routes.js';
import { createProxy, listenLoopback, type Proxy, type ProxyRules } from '../proxy/server.js';
import type { SealedRun, SealedSetup } from '../sealed/index.js';
import type { AgentPlan, Recipe } from '../supervisor/agent-recipes.js';
import { capsText, LineReporter } from '../ui/line-reporter.js';
import { UsageError } from '../errors.js';
import type { RunDeps, RunOptions } from './run-deps.js';
import { loadRunHistory } from './run-history.js';
import { RunJournal } from './run-journal.js';
import { randomHex } from './random-hex.js';
import { RunOutput } from './run-output.js';
import { enginePolicyOf } from './run-policy.js';
import { preflight } from './run-preflight.js';
import { RunTally } from './run-tally.js';

type Policy = LoadedPolicy['policy'];

/** Everything a run has once its proxy listens, before the agent starts. */
export interface RunSession {
  id: string;
  startedAt: Date;
  command: readonly string[];
  opts: RunOptions;
  deps: RunDeps;
  policy: Policy;
  /** A person at a terminal: the agent runs in a PTY under the budget bar, and questions can be asked. */
  interactive: boolean;
  caps: Caps;
  enginePolicy: EnginePolicy;
  prices: PriceBook;
  recipe: Recipe;
  plan: AgentPlan;
  keeper: BudgetKeeper;
  output: RunOutput;
  reporter: LineReporter;
  journal: RunJournal | null;
  tally: RunTally;
  proxy: Proxy;
  /** The proxy's base URL with the run's secret: `http://127.0.0.1:<port>/<secret>`. */
  origin: string;
  sealed: SealedRun | null;
  /** What is stored and printed of the command: prompts and keys in it are not (unless --keep-args). */
  shownCommand: string[];
  /** Stops following the .budgetrc. */
  closeWatch: () => Promise<void>;
  /** The record's facts beyond the engine's state. */
  facts(exitCode: number, endedAt: Date): RunFacts;
  /** What runs of this repo (and this agent) cost recently, from the ledger. */
  history: RunHistory | null;
  /** Writes the run's page (`--summary-html`), when asked for. */
  summaryHtml: ((record: RunRecord) => Promise<void>) | null;
}

function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomHex(3)}`;
}

function rulesOf(p: Policy): ProxyRules {
  return {
    restrictedTools: new Set(p.restrictedTools),
    verifyPatterns: compilePatterns(p.verifyPatterns),
    reserve: p.reserve,
    allowRoutes: compileRoutes(p.allowRoutes),
    batches: p.batches,
  };
}

/**
 * Checks everything, then opens the ledger and starts the proxy (sealed when asked) and the
 * .budgetrc watch; the journal has the run's opening row when this returns.
 */
export async function setUpRun(command: readonly string[], opts: RunOptions, deps: RunDeps): Promise<RunSession> {
  const startedAt = deps.now();
  const id = newRunId(startedAt);
  const p = opts.policy.policy;
  const { interactive, caps, enginePolicy, prices, mounts, recipe, plan } = preflight(command, opts.policy, deps);
  // A CI job must not pass without its record: a path that cannot be written stops here (exit 2).
  if (opts.record) writableFile(path.resolve(deps.cwd, opts.record), 'the --record file');
  // Loaded only for --summary-html; the path is checked now, the page written at the end.
  const summaryHtml = opts.summaryHtml
    ? (await import('../html/commands.js')).summaryHtmlWriter(opts.summaryHtml, deps.cwd, { ...deps, open: () => openLedger(ledgerOptions(p, deps)) })
    : null;
  // Checked before anything starts: a sealed run that cannot be sealed here is a usage error.
  const sealing: SealedSetup | null = p.sealed
    ? (await import('../sealed/index.js')).prepareSealed(deps.env, describeSource(opts.policy.sources.sealed!))
    : null;
  const keeper = new BudgetKeeper(caps, enginePolicy);
  const output = new RunOutput(deps.stderr);
  const reporter = new LineReporter(output.say, {
    color: deps.stderrIsTTY && !deps.env.NO_COLOR,
    everyRequest: !deps.stderrIsTTY,
    elapsedMs: () => deps.now().getTime() - startedAt.getTime(),
  });
  const journal = await openJournal(id, p, deps);
  const history = journal ? await loadRunHistory(journal.ledger, deps.cwd, command, startedAt) : null;
  if (journal) keeper.onAction((action, state) => journal.action(action, state));
  const tally = new RunTally(p.reserve);
  const secret = randomHex(16);
  const rules = rulesOf(p);
  const proxy = createProxy({
    secret,
    mounts: sealing ? sealing.mounts(mounts) : mounts,
    keeper,
    prices,
    estimator: new InputEstimator(),
    outputs: new OutputEstimator(),
    conversations: new ConversationMemory(),
    guards: new GuardWatch(deps.cwd),
    rules,
    ...(journal ? journalHooks(journal, keeper, p, deps) : {}),
    now: deps.now,
    notify: noticeHandler({ tally, journal, reporter, keeper, interactive, now: deps.now }),
  });
  const port = await listenLoopback(proxy.server);
  const sealed = sealing
    ? await sealing.start({ proxyServer: proxy.server, secret, port, rules: { allow: p.sealedAllow, deny: p.sealedDeny }, say: output.say })
    : null;
  const shownCommand = storedCommand(command, p.keepArgs);
  const session: Omit<RunSession, 'closeWatch'> = {
    id,
    startedAt,
    command,
    opts,
    deps,
    policy: p,
    interactive,
    caps,
    enginePolicy,
    prices,
    recipe,
    plan,
    keeper,
    output,
    reporter,
    journal,
    tally,
    proxy,
    origin: `http://127.0.0.1:${port}/${secret}`,
    sealed,
    shownCommand,
    facts: (exitCode, endedAt) => recordFacts(session, exitCode, endedAt),
    summaryHtml,
    history,
  };
  await announce(session);
  return { ...session, closeWatch: await watchPolicy(session, rules) };
}

/** Each proxy notice: into the record's tally, then the ledger, then (what needs words) the reporter. */
function noticeHandler(to: {
  tally: RunTally;
  journal: RunJournal | null;
  reporter: LineReporter;
  keeper: BudgetKeeper;
  interactive: boolean;
  now: () => Date;
}): (notice: ProxyNotice) => void {
  return (notice) => {
    to.tally.add(notice);
    // Into the ledger before anything is printed about it.
    to.journal?.notice(notice, to.now().toISOString());
    // Under the live bar, spend is in view already; only what needs words is kept for the end.
    if (!to.interactive || notice.type !== 'settled') to.reporter.notice(notice, to.keeper.state);
  };
}

/** The record's facts beyond the engine's state, as they stand at `endedAt`. */
function recordFacts(run: Omit<RunSession, 'closeWatch'>, exitCode: number, endedAt: Date): RunFacts {
  const { policy: p, tally } = run;
  return {
    id: run.id,
    command: run.shownCommand,
    cwd: run.deps.cwd,
    startedAt: run.startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    exitCode,
    apiEquivalent: tally.apiEquivalent,
    preset: p.policy,
    restrictedTools: p.restrictedTools,
    toolsRemoved: [...tally.toolsRemoved],
    reservation: { ...tally.reservation },
    upstreamNonCompliant: tally.upstreamNonCompliant,
    typicalUsd: run.history?.repo ? nanoToUsd(run.history.repo.medianNano) : null,
  };
}

/** The opening row in the ledger, the CI reporter's first lines and the agent plan's warning. */
async function announce(run: Omit<RunSession, 'closeWatch'>): Promise<void> {
  const opening = buildRunRecord(run.keeper.state, run.facts(0, run.startedAt));
  await run.journal?.start({
    id: run.id,
    command: opening.command,
    cwd: run.deps.cwd,
    startedAt: opening.startedAt,
    budget: opening.budget,
    policy: opening.policy,
  });
  const p = run.policy;
  const onLimit = run.enginePolicy.onLimit === p.onLimit ? p.onLimit : `${run.enginePolicy.onLimit} (${p.onLimit} needs a terminal)`;
  if (!run.interactive) run.reporter.start({ runId: run.id, caps: run.caps, command: run.shownCommand, agent: run.recipe.name, onLimit, history: run.history });
  if (run.plan.warning) run.deps.stderr(`capped: note: ${run.plan.warning}\n`);
}

/** An edited .budgetrc applies to the running session; an invalid edit keeps the policy in force. */
function watchPolicy(run: Omit<RunSession, 'closeWatch'>, rules: ProxyRules): Promise<() => Promise<void>> {
  const { deps, output } = run;
  return watchResolvedPolicy(
    run.opts.policy.layers,
    (next) => {
      const updated = enginePolicyOf(next.policy, run.interactive);
      Object.assign(rules, rulesOf(next.policy));
      run.sealed?.setRules({ allow: next.policy.sealedAllow, deny: next.policy.sealedDeny });
      run.keeper.dispatch({ type: 'policy', at: deps.now().toISOString(), caps: updated.caps, policy: updated.engine });
      output.say(`capped: policy reloaded from ${next.file ?? '.budgetrc'}: ${capsText(updated.caps)}\n`);
    },
    (err) => output.say(`capped: warning: ${err.message} (keeping the policy in force)\n`),
    { cwd: deps.cwd },
  );
}

/** The ledger's part in the proxy: durable reservations and the daily/weekly window, when set. */
function journalHooks(journal: RunJournal, keeper: BudgetKeeper, p: Policy, deps: RunDeps): Pick<Parameters<typeof createProxy>[0], 'reserve' | 'window'> {
  const reserve = (id: string, provider: string): Promise<void> => {
    const reservation = keeper.state.reserved[id];
    return reservation ? journal.reserve(id, reservation, provider, deps.now().toISOString()) : Promise.resolve();
  };
  if (p.daily === null && p.weekly === null) return { reserve };
  const ceilings = { daily: p.daily === null ? null : usdToNano(p.daily), weekly: p.weekly === null ? null : usdToNano(p.weekly) };
  return { reserve, window: journal.windowGate(ceilings, p.onLimit === 'pause', deps.now) };
}

function ledgerOptions(p: Policy, deps: RunDeps): Parameters<typeof openLedger>[0] {
  return { url: p.ledger.url, dataDir: dataDir(deps.env), retentionDays: p.retentionDays, now: deps.now };
}

/**
 * Opens the ledger the policy names. Without one the run still works (the record file and the
 * summary are written), but a run with a window ceiling cannot be checked against other runs.
 */
async function openJournal(runId: string, p: Policy, deps: RunDeps): Promise<RunJournal | null> {
  try {
    const ledger = await openLedger(ledgerOptions(p, deps));
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
