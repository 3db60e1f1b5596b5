import fs from 'node:fs';
import path from 'node:path';
import { githubSummary } from '../ledger/github-summary.js';
import { writeRecordFile } from '../ledger/record-file.js';
import { buildRunRecord, type RunRecord } from '../ledger/run-record.js';
import { runMoneyOf, type RunMoney } from '../model/run-money.js';
import { shellExitCode } from '../supervisor/spawn-agent.js';
import { DEFAULTS } from './defaults.js';
import { EXIT } from '../errors.js';
import type { RunDeps } from './run-deps.js';
import type { LaunchedAgent } from './run-launch.js';
import type { RunSession } from './run-setup.js';
import type { Supervised } from './run-supervise.js';

/** Stops everything the run started but the agent; safe to call once, on any path out. */
export async function closeRun(run: RunSession): Promise<void> {
  run.proxy.close();
  run.sealed?.close();
  await run.closeWatch();
}

/**
 * After the agent exited: waits for responses still streaming, charges what never reported at its
 * reservation, closes everything, and writes the record, the ledger row and the summary.
 */
export async function finishRun(run: RunSession, agent: LaunchedAgent, supervised: Supervised): Promise<number> {
  const { deps, keeper, journal } = run;
  // Stopped from outside, whoever sent the signal waits on capped: responses still streaming get
  // less time, and what they did not report is charged at its reservation.
  const drainMs = supervised.signalled ? DEFAULTS.signalDrainMs : DEFAULTS.drainMs;
  await Promise.race([run.proxy.idle(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
  for (const [id, r] of Object.entries(keeper.state.reserved)) {
    const at = deps.now().toISOString();
    journal?.abandoned(id, r, at);
    keeper.dispatch({ type: 'abandon', id, at });
  }
  agent.runDir.remove();
  await closeRun(run);
  supervised.detach();

  const state = keeper.state;
  const exitCode = state.hardStop ? EXIT.limit : shellExitCode(supervised.exit);
  const record = buildRunRecord(state, run.facts(exitCode, deps.now()));
  if (run.sealed) record.sealed = run.sealed.summary();
  // The summaries format the engine's nano-dollars; the record's dollars are for its JSON readers.
  const money = runMoneyOf(state);
  const recordFile = saveRecord(record, money, run.opts.record, deps);
  // The record was asked for and is missing: the job must not read as passed.
  const finalCode = run.opts.record && recordFile === null && exitCode === EXIT.ok ? EXIT.internal : exitCode;
  await journal?.finish(record, state.spentNano);
  const waited = run.output.release();
  if (agent.terminal) {
    await agent.terminal.finish(record, recordFile, money);
    for (const text of waited) deps.stderr(text);
  } else {
    run.reporter.summary(record, recordFile, money);
  }
  await run.summaryHtml?.(record);
  return finalCode;
}

/** Writes the record file and the CI summary; a failure is reported, and the record printed instead. */
function saveRecord(record: RunRecord, money: RunMoney, file: string | null, deps: RunDeps): string | null {
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
      fs.appendFileSync(summary, githubSummary(record, money));
    } catch (err) {
      deps.stderr(`capped: could not append to GITHUB_STEP_SUMMARY (${summary}): ${(err as Error).message}\n`);
    }
  }
  return written;
}
