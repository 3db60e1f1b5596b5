import { renderToString } from './ink.js';
import type { ReactElement } from 'react';
import { ApprovalPrompt } from './approval-prompt.js';
import type { BarFields } from './bar-layout.js';
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

/** The budget bar through Ink (the reference `barLine` draws the same cells as). */
export function renderBarLine(fields: BarFields, columns: number, opts: LineOptions = {}): string {
  return renderLine(<BudgetBar {...fields} columns={columns} />, columns, opts);
}

/** An approval prompt as one line of text for the status row. */
export function renderPromptLine(fields: PromptFields, columns: number, opts: LineOptions = {}): string {
  return renderLine(<ApprovalPrompt {...fields} columns={columns} />, columns, opts);
}
