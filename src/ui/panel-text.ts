import { LABEL_WIDTH } from './row-layout.js';
import { draw, span, truncateSpans, widthOf, wrapSpans, type Color, type Span } from './styled-text.js';

/** A line of a panel: text across its width, or a dim label and a value in the column after it. */
export type PanelLine = { readonly text: readonly Span[] } | { readonly label: string; readonly value: readonly Span[]; readonly truncate?: boolean };

const BORDER = { topLeft: '╭', topRight: '╮', bottomLeft: '╰', bottomRight: '╯', horizontal: '─', vertical: '│' };

const pad = (line: readonly Span[], width: number): Span[] => {
  const used = line.reduce((n, s) => n + widthOf(s.text), 0);
  return used < width ? [...line, span(' '.repeat(width - used))] : [...line];
};

/**
 * A panel as Ink draws `<Box flexDirection="column" borderStyle="round" paddingX={1}>` of rows
 * (`Row`: a 14-column label, the value wrapped or cut in the rest), `columns` wide at most 76 and
 * at least 20: one string, its lines joined by newlines.
 */
export function panelText(lines: readonly PanelLine[], opts: { columns: number; border: Color; color?: boolean }): string {
  const width = Math.max(20, Math.min(76, opts.columns));
  const inner = width - 4;
  const border = { color: opts.border };
  const out: Span[][] = [[span(BORDER.topLeft + BORDER.horizontal.repeat(width - 2) + BORDER.topRight, border)]];
  const framed = (content: Span[]): void =>
    void out.push([span(BORDER.vertical, border), span(' '), ...pad(content, inner), span(' '), span(BORDER.vertical, border)]);
  for (const line of lines) {
    if ('text' in line) {
      for (const row of wrapSpans(line.text, inner)) framed(row);
      continue;
    }
    const valueWidth = inner - LABEL_WIDTH;
    const labels = wrapSpans([span(line.label, { dim: true })], LABEL_WIDTH);
    const values = line.truncate ? [truncateSpans(line.value, valueWidth)] : wrapSpans(line.value, valueWidth);
    for (let i = 0; i < Math.max(labels.length, values.length); i++) framed([...pad(labels[i] ?? [], LABEL_WIDTH), ...(values[i] ?? [])]);
  }
  out.push([span(BORDER.bottomLeft + BORDER.horizontal.repeat(width - 2) + BORDER.bottomRight, border)]);
  return out.map((line) => draw(line, opts.color !== false)).join('\n');
}
