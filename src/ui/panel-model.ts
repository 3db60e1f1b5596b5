import type { Nano } from '../budget/money.js';
import type { RunHistory } from '../model/history.js';
import { historyText, historyWarning } from './forecast-text.js';
import { formatDuration, formatUsdShort } from '../model/format.js';
import { pricePerMillion, tokenEquivalent } from './format.js';
import type { PreRunPanelProps } from './pre-run-panel.js';

export type OnLimit = 'stop' | 'ask' | 'downgrade' | 'pause';

/** What each policy does at the limit, in the words the panel shows. */
export const AT_LIMIT_TEXT: Readonly<Record<OnLimit, string>> = {
  stop: 'stop: the agent is ended',
  ask: 'ask: the agent is paused and you are asked for more',
  downgrade: 'downgrade: the run continues on a cheaper model',
  pause: 'pause: the agent waits for the next budget window',
};

export interface PanelFacts {
  command: readonly string[];
  model: string | null;
  capNano: Nano;
  /** The selected model's output price in pico-dollars per token; null when unknown. */
  outPicoPerToken: number | null;
  otherCaps?: readonly string[];
  onLimit: OnLimit;
  escalation: 'ask' | 'allow' | 'deny';
  unattended: boolean;
  /** Idle window in ms; null when idle detection is off. */
  idleMs: number | null;
  columns: number;
  /** What runs of this repo cost recently (from the ledger); null or absent when unknown. */
  history?: RunHistory | null;
}

/** The pre-run panel's props from the run's options. */
export function preRunFromFacts(f: PanelFacts): PreRunPanelProps {
  const equivalent = tokenEquivalent(f.capNano, f.outPicoPerToken);
  return {
    command: f.command.join(' '),
    model: f.model,
    maxSpend: formatUsdShort(f.capNano),
    tokenEquivalent: equivalent && f.outPicoPerToken !== null ? `${equivalent} at ${pricePerMillion(f.outPicoPerToken)}` : null,
    ...(f.otherCaps ? { otherCaps: f.otherCaps } : {}),
    atLimit: AT_LIMIT_TEXT[f.onLimit],
    escalation: f.escalation === 'ask' ? 'a pricier model asks first' : f.escalation === 'allow' ? 'allowed' : 'not allowed',
    unattended: f.unattended ? 'allowed' : 'not allowed: nobody at the keyboard means a limit stops the run',
    idle: f.idleMs === null ? 'off' : `${formatDuration(f.idleMs)} without a keystroke pauses before the next spend`,
    columns: f.columns,
    history: historyText(f.history ?? null),
    warning: historyWarning(f.history ?? null, f.capNano),
  };
}
