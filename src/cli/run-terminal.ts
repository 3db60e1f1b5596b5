import type { BudgetKeeper } from '../budget/keeper.js';
import { formatUsd, usdToNano } from '../budget/money.js';
import type { BudgetAction } from '../budget/types.js';
import type { Policy } from '../config/types.js';
import type { RunHistory } from '../ledger/history.js';
import type { RunRecord } from '../ledger/run-record.js';
import { barRefresher } from '../supervisor/bar-refresh.js';
import { startPtySession, type PtySession } from '../supervisor/pty-session.js';
import { whileTreeStopped } from '../supervisor/terminate.js';
import { barFromState } from '../ui/bar-model.js';
import { forecastOf, forecastShort, withProjection } from '../ui/forecast-text.js';
import { preRunFromFacts } from '../ui/panel-model.js';
import { createBarRenderer } from '../ui/bar-line.js';
import { loadInk } from '../ui/ink.js';
import type { PreRunPanelProps } from '../ui/pre-run-panel.js';
import type { PromptChoice, PromptFields } from '../ui/prompt-layout.js';
import { preRunPanelText, promptLineText, runSummaryText } from '../ui/run-screens.js';
import type { RunSummaryProps } from '../ui/run-summary.js';
import { summaryFromRecord } from '../ui/summary-model.js';
import type { RunMoney } from '../model/run-money.js';

/**
 * The interactive side of `capped run` (stdin and stdout are terminals): the agent in a PTY one
 * row shorter than the terminal, the live budget bar on the last row, questions on that row while
 * the agent's tree is stopped, and the idle clock from the user's keystrokes. Loaded only on this
 * path, so pipes and CI never pay for the PTY.
 */
export interface TerminalRun {
  session: PtySession;
  /** Prints the run summary once the agent is gone. */
  finish(record: RunRecord, recordFile: string | null, money: RunMoney): Promise<void>;
}

export interface TerminalRunOptions {
  argv: readonly string[];
  /** The agent's command for the panel when `argv` wraps it (a sealed run's launcher); default argv. */
  command?: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  keeper: BudgetKeeper;
  policy: Policy;
  /** Process-tree marker for pausing the agent while a question is open. */
  marker: string;
  color: boolean;
  /** The selected model's output price for the pre-run panel's token equivalent, when known. */
  outPicoPerToken: number | null;
  /** A line for after the session (the agent owns the screen until then). */
  warn: (text: string) => void;
  /** What runs of this repo cost recently, for the panel and the escalation projection. */
  history?: RunHistory | null;
  /** When the run started (epoch ms), for the bar's burn-rate forecast. */
  startedAtMs?: number;
}

/*
 * The run's screens are drawn without Ink (ui/run-screens.ts), which a run in a terminal then
 * never loads (about 270 ms and 47 MB before the agent could start, issue 11); Ink draws only a
 * screen whose text has a character that may not take one column (a wide one in a command or
 * a path), loaded for it then.
 */
async function inkScreens(): Promise<typeof import('../ui/print-panel.js') & typeof import('../ui/render-line.js')> {
  const [, panels, lines] = await Promise.all([loadInk(), import('../ui/print-panel.js'), import('../ui/render-line.js')]);
  return { ...panels, ...lines };
}

/** The pre-run panel as text, through Ink only when its text needs it. */
export const preRunScreen = async (props: PreRunPanelProps, color: boolean): Promise<string> =>
  preRunPanelText(props, { color }) ?? (await inkScreens()).inkPreRunPanel(props, { color });

/** The run summary as text, through Ink only when its text needs it. */
export const summaryScreen = async (props: RunSummaryProps, color: boolean): Promise<string> =>
  runSummaryText(props, { color }) ?? (await inkScreens()).inkRunSummary(props, { color });

/** A question's line for each width (`fields(typed)` for a typed amount, which only ever adds digits and dots). */
export async function promptScreen(fields: (typed: string) => PromptFields, color: boolean): Promise<(typed: string, columns: number) => string> {
  if (promptLineText(fields(''), 80, { color }) !== null) return (typed, columns) => promptLineText(fields(typed), columns, { color })!;
  const { renderPromptLine } = await inkScreens();
  return (typed, columns) => renderPromptLine(fields(typed), columns, { color });
}

/** Turns a question from the engine into the bar prompt and the engine's answer. */
async function askPerson(session: PtySession, ask: Extract<BudgetAction, { type: 'ask' }>, color: boolean): Promise<{ approve: boolean; addNano?: number }> {
  const add = ask.to - ask.from;
  const choices: PromptChoice[] =
    ask.kind === 'limit'
      ? [
          { key: 'a', label: `add ${formatUsd(add)}` },
          { key: 'e', label: 'enter an amount' },
          { key: 's', label: 'stop' },
        ]
      : ask.kind === 'escalation'
        ? [
            { key: 'y', label: `switch, max ${formatUsd(ask.to)}` },
            { key: 'n', label: 'stay on the selected model' },
          ]
        : [
            { key: 'c', label: 'continue' },
            { key: 's', label: 'stop' },
          ];
  const question = await promptScreen(() => ({ question: ask.question, detail: ask.detail ?? null, choices }), color);
  const key = await session.ask((columns) => question('', columns), [...choices.map((c) => c.key), '\u0003']);
  if (key === 'a' || key === 'y' || key === 'c') return { approve: true };
  if (key === 'e') {
    const amount = await promptScreen(
      (typed) => ({
        question: 'Add how many dollars?',
        input: typed,
        choices: [
          { key: 'Enter', label: 'confirm' },
          { key: 'Esc', label: 'cancel' },
        ],
      }),
      color,
    );
    const typed = await session.askLine(amount, /^[0-9.]$/);
    const dollars = typed === null ? NaN : Number(typed);
    if (Number.isFinite(dollars) && dollars > 0) return { approve: true, addNano: usdToNano(dollars) };
    return askPerson(session, ask, color);
  }
  return { approve: false };
}

export async function startTerminalRun(o: TerminalRunOptions): Promise<TerminalRun> {
  const p = o.policy;
  const panel = await preRunScreen(
    preRunFromFacts({
      command: o.command ?? o.argv,
      model: p.model,
      capNano: usdToNano(p.maxUsd),
      outPicoPerToken: o.outPicoPerToken,
      onLimit: p.onLimit,
      escalation: p.escalation,
      unattended: p.unattended,
      idleMs: p.idle,
      columns: process.stderr.columns || 80,
      history: o.history ?? null,
    }),
    o.color,
  );
  process.stderr.write(`${panel}\n`);
  const render = createBarRenderer(o.color);
  const startedAtMs = o.startedAtMs ?? Date.now();
  const bar = (c: number): string => {
    const state = o.keeper.state;
    return render(barFromState(state, { status: 'running', forecast: forecastShort(forecastOf(state, Date.now() - startedAtMs)) }), c);
  };
  const session = startPtySession({ command: o.argv[0]!, args: o.argv.slice(1), env: o.env, cwd: o.cwd, stdin: process.stdin, stdout: process.stdout, bar });

  // One question at a time, with the agent's tree stopped meanwhile (its request is held at the
  // proxy, so nothing times out); it continues and repaints once answered.
  let questions: Promise<void> = Promise.resolve();
  // Repainted after the request that changed it went on, ten times a second at most (issue 11).
  const refreshBar = barRefresher(() => session.setBar(bar));
  o.keeper.onAction((action) => {
    refreshBar();
    if (action.type !== 'ask') return;
    questions = questions.then(async () => {
      if (!(action.id in o.keeper.state.pending)) return;
      let answer: { approve: boolean; addNano?: number };
      try {
        const asked = withProjection(action, o.keeper.state, o.history ?? null);
        answer = await whileTreeStopped(session.pid, { marker: o.marker }, () => askPerson(session, asked, o.color));
      } catch (err) {
        // The question could not be put or read: no more spend without an answer (fail closed).
        o.warn(`capped: warning: the question "${action.question}" failed (${(err as Error).message}); answered no.\n`);
        answer = { approve: false };
      }
      o.keeper.answer(action.id, new Date().toISOString(), answer.approve, answer.addNano);
      // A repaint that fails must not end the chain: the next question still gets asked.
      await session.redraw().catch(() => undefined);
    });
  });

  // The idle clock: the user's keystrokes as they pass through capped (not mouse, focus or replies).
  const idleMs = p.idle;
  const timer =
    idleMs === null
      ? null
      : setInterval(
          () => {
            if (!o.keeper.state.idle && session.idle.idleMs() >= idleMs) o.keeper.dispatch({ type: 'idle', at: new Date().toISOString() });
          },
          Math.min(1000, Math.max(100, idleMs / 10)),
        );
  timer?.unref();
  void session.exited.then(() => {
    if (timer) clearInterval(timer);
  });

  return {
    session,
    async finish(record, recordFile, money) {
      session.restore();
      process.stderr.write(`${await summaryScreen(summaryFromRecord(record, money, process.stderr.columns || 80, recordFile), o.color)}\n`);
    },
  };
}
