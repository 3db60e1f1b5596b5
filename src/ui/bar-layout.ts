import { barCells, levelOf, type Level } from './levels.js';

/** What the agent is doing, as the bar shows it. */
export type BarStatus = 'running' | 'waiting for approval' | 'paused: idle' | 'stopped';

/** A phase with its own ceiling, e.g. verification against 40% of the run budget. */
export interface BarPhase {
  /** "implementation" or "verification" (or a shorter label). */
  readonly name: string;
  /** Spent in this phase, e.g. "$0.12". */
  readonly spent: string;
  /** Its own ceiling, e.g. "$0.60"; null when the phase has none (yet). */
  readonly cap: string | null;
  /** spent / cap of the phase; null without a ceiling. */
  readonly fraction: number | null;
}

/** The bar's content, already formatted (see `barFromState`). */
export interface BarFields {
  /** Spent so far, e.g. "$0.42". */
  readonly spent: string;
  /** The dollar cap, e.g. "$1.50"; null when dollars are not capped. */
  readonly cap: string | null;
  /** Share of the binding cap used (1 = at the cap); null without any cap. Drives fill and colour. */
  readonly fraction: number | null;
  /** Dollars left, e.g. "$1.08 left"; null without a dollar cap. */
  readonly remaining: string | null;
  /** e.g. "12,000 tokens left"; null when tokens are not capped. */
  readonly tokensLeft: string | null;
  /** e.g. "8 actions left"; null when tool actions are not capped. */
  readonly actionsLeft: string | null;
  readonly phase: BarPhase | null;
  /** The most expensive action so far, e.g. "top $0.08". */
  readonly costliest: string | null;
  /** The burn-rate forecast, e.g. "$0.15/min ~8m left"; absent or null while too little is known. */
  readonly forecast?: string | null;
  readonly model: string | null;
  readonly status: BarStatus;
}

/** One piece of the laid-out line; `text` is exactly what is drawn (before colour). */
export type BarPart =
  | { readonly kind: 'label'; readonly text: string }
  | { readonly kind: 'gauge'; readonly filled: string; readonly empty: string; readonly level: Level }
  | { readonly kind: 'spend'; readonly text: string; readonly level: Level }
  | { readonly kind: 'phase'; readonly text: string; readonly level: Level }
  | { readonly kind: 'info'; readonly text: string }
  | { readonly kind: 'status'; readonly text: string; readonly status: BarStatus };

/** After the label and the gauge (they read as one with what follows). */
export const GAP = ' ';
/** Between the other parts. */
export const SEPARATOR = ' · ';
export const ELLIPSIS = '…';

/** Widest the gauge gets, narrowest before it is dropped. */
export const GAUGE_MAX = 10;
export const GAUGE_MIN = 4;
/** Model names are cut to this many columns at most, and to MODEL_MIN before being dropped. */
export const MODEL_MAX = 28;
export const MODEL_MIN = 12;
/** Shortest a model name gets when it is the last thing left to cut before the gauge. */
export const MODEL_LAST = 6;

/**
 * When the line does not fit, these steps run in this order until it does. The spend and the
 * status are never dropped; if they alone do not fit, the line is cut with an ellipsis.
 */
export const DEGRADE_ORDER = [
  'drop costliest',
  'drop forecast',
  'drop label',
  'drop phase',
  'drop actions left',
  'drop tokens left',
  'shorten model',
  'shorten gauge',
  'drop remaining',
  'drop model', // or cut it to fit, when at least MODEL_LAST columns of it are left
  'drop gauge',
] as const;

type Step = (typeof DEGRADE_ORDER)[number];

/** Cuts `text` to at most `width` columns, ending in an ellipsis when cut. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 0) return '';
  return chars.slice(0, width - 1).join('') + ELLIPSIS;
}

const width = (text: string): number => [...text].length;

interface Draft {
  label: boolean;
  gauge: number;
  remaining: boolean;
  tokens: boolean;
  actions: boolean;
  phase: boolean;
  costliest: boolean;
  forecast: boolean;
  model: number;
}

function partsOf(f: BarFields, d: Draft): BarPart[] {
  const level = levelOf(f.fraction);
  const parts: BarPart[] = [];
  if (d.label) parts.push({ kind: 'label', text: 'capped' });
  if (d.gauge > 0 && f.fraction !== null) parts.push({ kind: 'gauge', ...barCells(f.fraction, d.gauge), level });
  parts.push({ kind: 'spend', text: f.cap === null ? `${f.spent} spent` : `${f.spent}/${f.cap}`, level });
  if (d.remaining && f.remaining) parts.push({ kind: 'info', text: f.remaining });
  if (d.forecast && f.forecast) parts.push({ kind: 'info', text: f.forecast });
  if (d.tokens && f.tokensLeft) parts.push({ kind: 'info', text: f.tokensLeft });
  if (d.actions && f.actionsLeft) parts.push({ kind: 'info', text: f.actionsLeft });
  if (d.phase && f.phase) {
    const p = f.phase;
    parts.push({ kind: 'phase', text: p.cap === null ? `${p.name} ${p.spent}` : `${p.name} ${p.spent}/${p.cap}`, level: levelOf(p.fraction) });
  }
  if (d.costliest && f.costliest) parts.push({ kind: 'info', text: f.costliest });
  if (d.model > 0 && f.model) parts.push({ kind: 'info', text: truncate(f.model, d.model) });
  parts.push({ kind: 'status', text: f.status, status: f.status });
  return parts;
}

/** What is drawn between `prev` and the part after it. */
export function separatorAfter(prev: BarPart): string {
  return prev.kind === 'label' || prev.kind === 'gauge' ? GAP : SEPARATOR;
}

/** Columns the parts take when drawn with their separators. */
export function partsWidth(parts: readonly BarPart[]): number {
  let total = 0;
  parts.forEach((part, i) => {
    const prev = parts[i - 1];
    if (prev) total += width(separatorAfter(prev));
    total += part.kind === 'gauge' ? width(part.filled) + width(part.empty) : width(part.text);
  });
  return total;
}

/** The parts as plain text (no colour), for tests and plain terminals. */
export function partsText(parts: readonly BarPart[]): string {
  return parts
    .map((part, i) => {
      const prev = parts[i - 1];
      const sep = prev ? separatorAfter(prev) : '';
      return sep + (part.kind === 'gauge' ? part.filled + part.empty : part.text);
    })
    .join('');
}

function apply(step: Step, d: Draft, overflow: number): Draft {
  switch (step) {
    case 'drop costliest':
      return { ...d, costliest: false };
    case 'drop forecast':
      return { ...d, forecast: false };
    case 'drop phase':
      return { ...d, phase: false };
    case 'drop label':
      return { ...d, label: false };
    case 'drop actions left':
      return { ...d, actions: false };
    case 'drop tokens left':
      return { ...d, tokens: false };
    case 'shorten model':
      return { ...d, model: Math.max(MODEL_MIN, d.model - overflow) };
    case 'shorten gauge':
      return { ...d, gauge: Math.max(GAUGE_MIN, d.gauge - overflow) };
    case 'drop remaining':
      return { ...d, remaining: false };
    case 'drop model':
      // A few columns over: cut the name further rather than lose it.
      return { ...d, model: d.model - overflow >= MODEL_LAST ? d.model - overflow : 0 };
    case 'drop gauge':
      return { ...d, gauge: 0 };
  }
}

/**
 * Lays the bar out in `columns` columns: everything when it fits, otherwise fields degrade in
 * DEGRADE_ORDER. The result is at most `columns - 1` wide, so drawing it on the last row never
 * reaches the last column (where a terminal would wrap or scroll).
 */
export function layoutBar(fields: BarFields, columns: number): BarPart[] {
  const room = Math.max(1, columns - 1);
  let draft: Draft = {
    label: true,
    gauge: GAUGE_MAX,
    remaining: true,
    tokens: true,
    actions: true,
    phase: true,
    costliest: true,
    forecast: true,
    model: fields.model ? Math.min(MODEL_MAX, width(fields.model)) : 0,
  };
  let parts = partsOf(fields, draft);
  for (const step of DEGRADE_ORDER) {
    const overflow = partsWidth(parts) - room;
    if (overflow <= 0) return parts;
    draft = apply(step, draft, overflow);
    parts = partsOf(fields, draft);
  }
  return cutToFit(parts, room);
}

/** Last resort: spend and status alone are too wide; cut the status, then the spend. */
function cutToFit(parts: BarPart[], room: number): BarPart[] {
  const spend = parts.find((p) => p.kind === 'spend');
  const status = parts.find((p) => p.kind === 'status');
  if (!spend || !status || spend.kind !== 'spend' || status.kind !== 'status') return parts;
  const statusRoom = room - width(spend.text) - width(SEPARATOR);
  if (statusRoom >= 4) return [spend, { ...status, text: truncate(status.text, statusRoom) }];
  return [{ ...spend, text: truncate(spend.text, room) }];
}
