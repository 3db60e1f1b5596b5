import { renderToString } from './ink.js';
import type { ReactElement } from 'react';
import { PreRunPanel, type PreRunPanelProps } from './pre-run-panel.js';
import { stripStyles } from './render-line.js';
import { RunSummary, type RunSummaryProps } from './run-summary.js';

export interface PanelTarget {
  write(text: string): unknown;
}

/**
 * Prints a static Ink element (the pre-run panel, the summary) to `stream`, normally stderr.
 *
 * Rendered with Ink's renderToString rather than a live `render()`: these panels never change once
 * drawn, and a live instance would hide the cursor, install its own exit hooks and write erase
 * sequences on unmount, all of which the supervisor owns (it must leave the terminal exactly as it
 * found it). The output is identical to the last frame `render()` would have written.
 */
export function printPanel(element: ReactElement, stream: PanelTarget, columns: number, opts: { color?: boolean } = {}): void {
  stream.write(`${panelString(element, columns, opts)}\n`);
}

/** The panel as printPanel prints it, without the last newline. */
function panelString(element: ReactElement, columns: number, opts: { color?: boolean }): string {
  const text = renderToString(element, { columns: Math.max(20, columns) });
  return opts.color === false ? stripStyles(text) : text;
}

/** The pre-run panel through Ink, as text: for text `preRunPanelText` (ui/run-screens.ts) leaves to Ink. */
export function inkPreRunPanel(props: PreRunPanelProps, opts: { color?: boolean } = {}): string {
  return panelString(<PreRunPanel {...props} />, props.columns, opts);
}

/** The run summary through Ink, as text (see inkPreRunPanel). */
export function inkRunSummary(props: RunSummaryProps, opts: { color?: boolean } = {}): string {
  return panelString(<RunSummary {...props} />, props.columns, opts);
}

/** Prints the pre-run panel (for callers without JSX, such as src/cli/run.ts). */
export function printPreRunPanel(props: PreRunPanelProps, stream: PanelTarget, opts: { color?: boolean } = {}): void {
  printPanel(<PreRunPanel {...props} />, stream, props.columns, opts);
}

/** Prints the run summary (for callers without JSX). */
export function printRunSummary(props: RunSummaryProps, stream: PanelTarget, opts: { color?: boolean } = {}): void {
  printPanel(<RunSummary {...props} />, stream, props.columns, opts);
}
