import { formatWhole } from '../budget/money.js';
import { formatPercent, formatUsd } from '../model/format.js';
import type { BudgetState, Caps } from '../budget/types.js';
import type { RunRecord } from '../model/run-record.js';
import type { RunMoney } from '../model/run-money.js';
import type { ProxyNotice } from '../model/notices.js';
import { hardStopText, isGuard } from '../budget/messages.js';
import type { RunHistory } from '../model/history.js';
import { forecastLong, forecastOf, historyText, historyWarning } from './forecast-text.js';

export interface ReporterOptions {
  /** Colour the `capped:` prefix (a TTY without NO_COLOR). */
  color: boolean;
  /** A line for every priced request (CI, pipes); otherwise only at 50/75/90% of the cap. */
  everyRequest: boolean;
  /** Time since the run started, for the burn-rate forecast; no forecast without it. */
  elapsedMs?: () => number;
}

export interface StartInfo {
  runId: string;
  caps: Caps;
  command: readonly string[];
  /** The agent recipe that redirected it. */
  agent: string;
  /** What happens at a limit (stop, ask, downgrade, pause). */
  onLimit: string;
  /** What runs of this repo cost recently (from the ledger), when known. */
  history?: RunHistory | null;
}

const THRESHOLDS = [0.5, 0.75, 0.9];

const fmtInt = formatWhole;

export function capsText(caps: Caps): string {
  const parts: string[] = [];
  if (caps.usd !== null) parts.push(`max ${formatUsd(caps.usd)}`);
  if (caps.tokens !== null) parts.push(`max ${fmtInt(caps.tokens)} tokens`);
  if (caps.actions !== null) parts.push(`max ${fmtInt(caps.actions)} tool actions`);
  return parts.length > 0 ? parts.join(', ') : 'no cap';
}

function share(state: BudgetState): number | null {
  if (state.caps.usd !== null) return state.spentNano / state.caps.usd;
  if (state.caps.tokens !== null) {
    const u = state.usage;
    return (u.input + u.output + u.cacheRead + u.cacheWrite) / state.caps.tokens;
  }
  return null;
}

/** Plain line reporter on stderr for CI, pipes and (until the live bar) terminals. */
export class LineReporter {
  private nextThreshold = 0;
  private hardStopRefusals = 0;
  private subscriptionSaid = false;
  private readonly said = new Set<string>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly opts: ReporterOptions,
  ) {}

  private line(text: string): void {
    const prefix = this.opts.color ? '\x1b[2mcapped:\x1b[0m' : 'capped:';
    this.write(`${prefix} ${text}\n`);
  }

  /** Says something once per run however often it happens. */
  private once(key: string, text: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.line(text);
  }

  start(info: StartInfo): void {
    this.line(`run ${info.runId} · ${capsText(info.caps)} · on limit: ${info.onLimit} · ${info.agent}: ${info.command.join(' ')}`);
    const history = historyText(info.history ?? null);
    if (history) this.line(`recent runs here: ${history}`);
    const warning = historyWarning(info.history ?? null, info.caps.usd);
    if (warning) this.line(`warning: ${warning}`);
  }

  notice(notice: ProxyNotice, state: BudgetState): void {
    if (notice.type === 'refused') {
      // After a hard stop, stragglers get the same refusal: say it once, not once per request.
      if (state.hardStop === null || this.hardStopRefusals++ === 0) this.line(notice.message.replace(/^capped: /, 'refused: '));
    } else if (notice.type === 'upstream-error') this.line(notice.message.replace(/^capped: /, ''));
    else if (notice.type === 'subscription') {
      if (!this.subscriptionSaid) this.line('subscription login detected: spend is metered at API-equivalent prices');
      this.subscriptionSaid = true;
    } else if (notice.type === 'tools-removed') {
      this.once(`tools:${notice.names.join(',')}`, `restricted tools removed from the request: ${notice.names.join(', ')}`);
    } else if (notice.type === 'window-wait') {
      const w = notice.window;
      this.once(
        `window:${w.resetsAt}`,
        `the ${w.kind} ceiling of ${formatUsd(w.ceilingNano)} across runs is reached; requests wait until ${w.resetsAt} (--on-limit pause)`,
      );
    } else if (notice.type === 'model-changed') {
      this.once(`model:${notice.from}>${notice.to}`, `requests for ${notice.from} are sent to ${notice.to}`);
    } else if (notice.type === 'settled') this.settled(notice, state);
  }

  private settled(notice: Extract<ProxyNotice, { type: 'settled' }>, state: BudgetState): void {
    const fraction = share(state);
    let crossed = false;
    while (fraction !== null && this.nextThreshold < THRESHOLDS.length && fraction >= THRESHOLDS[this.nextThreshold]!) {
      this.nextThreshold++;
      crossed = true;
    }
    if (!this.opts.everyRequest && !crossed) return;
    const u = notice.usage;
    const of = state.caps.usd !== null ? ` of ${formatUsd(state.caps.usd)}` : '';
    const parts = [
      `${formatUsd(notice.costNano)} ${notice.model}`,
      `in ${fmtInt(u.input)} out ${fmtInt(u.output)} cache r/w ${fmtInt(u.cacheRead)}/${fmtInt(u.cacheWrite)}`,
      `spent ${formatUsd(state.spentNano)}${of}${fraction === null ? '' : ` (${formatPercent(fraction, 'tenths')})`}`,
    ];
    // Right after the spend it projects from; flags about the request itself stay at the end.
    const burn = this.opts.elapsedMs ? forecastLong(forecastOf(state, this.opts.elapsedMs())) : null;
    if (burn) parts.push(burn);
    if (notice.clamped !== null) parts.push(`max_tokens lowered to ${fmtInt(notice.clamped)}`);
    if (notice.estimated) parts.push(notice.atReservation ? 'estimated: charged at its reservation' : 'estimated: usage unreadable');
    this.line(parts.join(' · '));
  }

  /** The end-of-run lines: what happened from the record, the amounts from `money` (nano-dollars). */
  summary(record: RunRecord, recordFile: string | null, money: RunMoney): void {
    const spent = money.spent;
    const cap = money.budget;
    const consumed = cap ? ` (${formatPercent(spent / cap, 'tenths')} consumed)` : '';
    const tokens = record.spent.inputTokens + record.spent.outputTokens + record.spent.cacheReadTokens + record.spent.cacheWriteTokens;
    this.line(
      `run ${record.id} ended · spent ${formatUsd(spent)}${cap === null ? '' : ` of ${formatUsd(cap)} requested`}${consumed} · ` +
        `${fmtInt(record.spent.requests)} requests · ${fmtInt(tokens)} tokens${record.estimated ? ' · includes estimates' : ''}`,
    );
    const stop = record.hardStop;
    this.line(
      stop === null
        ? `no hard stop · agent exit code ${record.exitCode}`
        : isGuard(stop.reason)
          ? `stopped: ${hardStopText(stop)} · the agent was ended at ${stop.at} (exit ${record.exitCode})`
          : `hard stop: ${hardStopText(stop)} at ${stop.at}; the agent was ended (exit ${record.exitCode})`,
    );
    if (record.mostExpensive) {
      const m = record.mostExpensive;
      this.line(`most expensive request: ${formatUsd(money.mostExpensive ?? 0)} on ${m.model} at ${m.at}`);
    }
    if (recordFile) this.line(`record written to ${recordFile}`);
  }
}
