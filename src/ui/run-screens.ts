import { layoutPrompt, type PromptFields } from './prompt-layout.js';
import { LEVEL_COLOR, levelOf } from './levels.js';
import { panelText, type PanelLine } from './panel-text.js';
import type { PreRunPanelProps } from './pre-run-panel.js';
import type { RunSummaryProps } from './run-summary.js';
import { draw, isNarrow, span, truncateSpans, type Span } from './styled-text.js';

/*
 * The screens of a run in a terminal as text, drawn as their Ink components (pre-run-panel.tsx,
 * run-summary.tsx, approval-prompt.tsx) draw them, cell for cell, without loading Ink (see
 * styled-text.ts). Each returns null when its text holds a character that may not take one
 * column (isNarrow): the caller then draws the component through Ink.
 */

const allNarrow = (texts: readonly (string | null | undefined)[]): boolean => texts.every((t) => t === null || t === undefined || isNarrow(t));

/** The pre-run panel, or null when Ink must draw it. */
export function preRunPanelText(p: PreRunPanelProps, opts: { color?: boolean } = {}): string | null {
  const otherCaps = p.otherCaps ?? [];
  const texts = [p.command, p.model, p.maxSpend, p.tokenEquivalent, ...otherCaps, p.atLimit, p.escalation, p.unattended, p.idle, p.history, p.warning];
  if (!allNarrow(texts)) return null;
  const row = (label: string, value: string, truncate = false): PanelLine => ({ label, value: [span(value)], truncate });
  const lines: PanelLine[] = [
    { text: [span('capped', { bold: true }), span(' '), span('run:', { dim: true }), span(` ${p.command}`)] },
    row('model', p.model ?? "agent's default", true),
    row('max spend', p.tokenEquivalent ? `${p.maxSpend} ${p.tokenEquivalent}` : p.maxSpend),
    ...otherCaps.map((cap) => row('', cap)),
    row('at the limit', p.atLimit),
    row('escalation', p.escalation),
    row('unattended', p.unattended),
    row('idle window', p.idle),
  ];
  if (p.history) lines.push(row('recent runs', p.history));
  if (p.warning) lines.push({ label: '', value: [span(`warning: ${p.warning}`, { color: 'yellow' })] });
  return panelText(lines, { columns: p.columns, border: 'cyan', color: opts.color !== false });
}

/** The run summary, or null when Ink must draw it. */
export function runSummaryText(p: RunSummaryProps, opts: { color?: boolean } = {}): string | null {
  const texts = [
    p.spent,
    p.requested,
    p.consumed,
    p.hardStop,
    p.exit,
    p.recordFile,
    ...p.approvals.flatMap((a) => [a.question, a.answer]),
    ...[...p.phases, ...p.models].flatMap((l) => [l.name, l.value]),
  ];
  if (!allNarrow(texts)) return null;
  const row = (label: string, value: Span[], truncate = false): PanelLine => ({ label, value, truncate });
  const spent = [span(p.spent, { bold: true, color: LEVEL_COLOR[levelOf(p.fraction)] })];
  if (p.requested) spent.push(span(` of ${p.requested} requested`));
  if (p.consumed) spent.push(span(` (${p.consumed} consumed)`));
  const lines: PanelLine[] = [
    row('spent', spent),
    row('hard stop', [p.hardStop ? span(p.hardStop, { color: 'red' }) : span('no')]),
    row('approvals', [span(p.approvals.length === 0 ? 'none asked' : `${p.approvals.length} asked`)]),
    ...p.approvals.map((a) => row('', [span(`${a.question}: `), span(a.answer, { bold: true })])),
    ...p.phases.map((l, i) => row(i === 0 ? 'by phase' : '', [span(`${l.name} ${l.value}`)])),
    ...p.models.map((l, i) => row(i === 0 ? 'by model' : '', [span(`${l.name} ${l.value}`)], true)),
    row('exit', [span(p.exit)]),
  ];
  if (p.recordFile) lines.push(row('record', [span(p.recordFile)]));
  return panelText(lines, { columns: p.columns, border: p.hardStop ? 'red' : 'gray', color: opts.color !== false });
}

/** A question on the bar row, `columns` wide at most, or null when Ink must draw it. */
export function promptLineText(fields: PromptFields, columns: number, opts: { color?: boolean } = {}): string | null {
  if (!allNarrow([fields.question, fields.lead, fields.detail, fields.input, ...fields.choices.flatMap((c) => [c.key, c.label])])) return null;
  const l = layoutPrompt(fields, columns);
  const pieces = [
    l.question ? span(l.question, { bold: true, color: 'yellow' }) : null,
    l.lead ? span(l.lead) : null,
    l.detail ? span(l.detail, { color: 'cyan' }) : null,
    l.input !== null ? span(l.input, { bold: true, underline: true }) : null,
    l.choices ? span(l.choices, { bold: true }) : null,
  ].filter((piece) => piece !== null);
  const spans = pieces.flatMap((piece, i) => (i > 0 ? [span(' '), piece] : [piece]));
  return draw(truncateSpans(spans, Math.max(1, columns)), opts.color !== false);
}
