import { truncate } from './bar-layout.js';

/** One answer to a prompt: the key that gives it and what it does ("Add $1.50", key "a"). */
export interface PromptChoice {
  readonly key: string;
  readonly label: string;
}

/** A question for the bar row, already formatted. */
export interface PromptFields {
  /** e.g. "Budget reached: $1.49 of $1.50." or "Paused: no keystroke for 10m." */
  readonly question: string;
  /** Introduces the detail, e.g. "The agent wants to run:"; the first thing dropped when narrow. */
  readonly lead?: string | null;
  /** e.g. "`npm test`."; shortened next when narrow. */
  readonly detail?: string | null;
  readonly choices: readonly PromptChoice[];
  /** Text typed so far, when the prompt reads an amount rather than one key. */
  readonly input?: string | null;
}

/** "Add $1.50 (a), enter an amount (e), or stop (s)?"; "Continue (c) or stop (s)?". */
export function choicesText(choices: readonly PromptChoice[]): string {
  const items = choices.map((c) => `${c.label} (${c.key})`);
  if (items.length === 0) return '';
  if (items.length === 1) return `${items[0]}?`;
  if (items.length === 2) return `${items[0]} or ${items[1]}?`;
  return `${items.slice(0, -1).join(', ')}, or ${items[items.length - 1]}?`;
}

export interface PromptLayout {
  question: string;
  lead: string | null;
  detail: string | null;
  /** The typed text with a cursor mark ("2.5_"), or null. */
  input: string | null;
  choices: string;
}

const width = (text: string): number => [...text].length;
/** A detail is cut to this before the question is touched. */
const DETAIL_MIN = 16;
/** Shortest a cut question gets before it is dropped. */
const QUESTION_MIN = 8;

/** The pieces in drawing order, one space apart. */
export function promptPieces(l: PromptLayout): string[] {
  return [l.question, l.lead, l.detail, l.input, l.choices].filter((t): t is string => t !== null && t !== '');
}

const total = (l: PromptLayout): number => promptPieces(l).reduce((sum, t, i) => sum + width(t) + (i > 0 ? 1 : 0), 0);

/** Cuts `text` by `overflow` columns, but to no fewer than `min` (and never lengthens it). */
function cut(text: string | null, overflow: number, min: number): string | null {
  if (text === null) return null;
  return truncate(text, Math.max(Math.min(min, width(text)), width(text) - overflow));
}

/**
 * Fits the prompt into `columns - 1` columns. The choices matter most (they say which key does
 * what), then what the agent wants, then the question. In order until it fits: drop the lead, cut
 * the detail to 16 columns, cut the question to 8, drop the question, cut the detail further, drop
 * it, cut the choices.
 */
export function layoutPrompt(fields: PromptFields, columns: number): PromptLayout {
  const room = Math.max(1, columns - 1);
  const detail = fields.detail ?? null;
  let l: PromptLayout = {
    question: fields.question,
    lead: fields.lead ?? null,
    detail,
    input: fields.input === undefined || fields.input === null ? null : `${fields.input}_`,
    choices: choicesText(fields.choices),
  };
  const steps: ((l: PromptLayout, overflow: number) => PromptLayout)[] = [
    (l) => ({ ...l, lead: null }),
    (l, o) => ({ ...l, detail: cut(l.detail, o, DETAIL_MIN) }),
    (l, o) => ({ ...l, question: cut(l.question, o, QUESTION_MIN) ?? '' }),
    // Without the question there is room again: cut the full detail to what is left.
    (l, o) => ({ ...l, question: '', detail: cut(detail, o - width(l.question) - 1 + (width(detail ?? '') - width(l.detail ?? '')), 4) }),
    (l) => ({ ...l, detail: null }),
    (l, o) => ({ ...l, choices: truncate(l.choices, width(l.choices) - o) }),
  ];
  for (const step of steps) {
    const overflow = total(l) - room;
    if (overflow <= 0) break;
    l = step(l, overflow);
  }
  return l;
}
