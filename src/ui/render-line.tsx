import { renderToString, Text } from './ink.js';
import type { ReactElement } from 'react';
import { ApprovalPrompt } from './approval-prompt.js';
import type { BarFields } from './bar-layout.js';
import { barLine } from './bar-line.js';
import { BudgetBar } from './budget-bar.js';
import type { PromptFields } from './prompt-layout.js';

// Ink draws only SGR sequences (colour, bold, dim); this removes them for plain output.
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

/** Removes colour and style sequences. */
export function stripStyles(text: string): string {
  return text.replace(SGR, '');
}

export interface LineOptions {
  /** Keep colours (default true; pass false for NO_COLOR). Ink colours only where chalk detects a colour terminal. */
  color?: boolean;
}

/** Renders an Ink element as one line of text (ANSI styles included): its first line, nothing more. */
export function renderLine(element: ReactElement, columns: number, opts: LineOptions = {}): string {
  const text = renderToString(element, { columns: Math.max(1, columns) });
  const first = text.split('\n', 1)[0] ?? '';
  return opts.color === false ? stripStyles(first) : first;
}

/**
 * A renderer that remembers its last input: the bar is asked for on every change of state, but
 * re-rendering the same props (the common case) costs a string compare, not an Ink render.
 */
export function memoLine<P>(render: (props: P, columns: number, opts: LineOptions) => string): (props: P, columns: number, opts?: LineOptions) => string {
  let lastKey: string | null = null;
  let lastText = '';
  return (props, columns, opts = {}) => {
    const key = `${columns}|${opts.color !== false}|${JSON.stringify(props)}`;
    if (key !== lastKey) {
      lastText = render(props, columns, opts);
      lastKey = key;
    }
    return lastText;
  };
}

/** The budget bar through Ink (the reference `barLine` draws the same cells as). */
export function renderBarLine(fields: BarFields, columns: number, opts: LineOptions = {}): string {
  return renderLine(<BudgetBar {...fields} columns={columns} />, columns, opts);
}

/** An approval prompt as one line of text for the status row. */
export function renderPromptLine(fields: PromptFields, columns: number, opts: LineOptions = {}): string {
  return renderLine(<ApprovalPrompt {...fields} columns={columns} />, columns, opts);
}

/** Whether Ink draws colour here: its chalk looks at the terminal and the environment (TERM, FORCE_COLOR, CI). */
export function inkDrawsColor(): boolean {
  return renderToString(<Text color="green">x</Text>).includes('\x1b[');
}

/**
 * Creates a cached bar renderer (one per session): `barLine`, in colour where Ink would colour it.
 * Ink must be loaded.
 */
export function createBarRenderer(): (fields: BarFields, columns: number, opts?: LineOptions) => string {
  const colors = inkDrawsColor();
  return memoLine((fields: BarFields, columns: number, opts: LineOptions) => barLine(fields, columns, { color: colors && opts.color !== false }));
}
