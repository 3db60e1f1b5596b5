import { layoutBar, separatorAfter, type BarFields, type BarPart, type BarStatus } from './bar-layout.js';
import { LEVEL_COLOR, type Level } from './levels.js';
import { draw, span, truncateSpans, type Color, type Span } from './styled-text.js';

/**
 * The budget bar as one line of text, drawn without React (styled-text.ts): each cell as
 * `BudgetBar` (the Ink component) draws it, same text, weight and colour (test/unit/ui/bar-line.test.ts
 * compares them across fields and widths). The status row repaints as spend changes, and Ink's
 * renderToString cost 0.5–1 ms a call and kept every root it made (each call slower than the
 * last: 4 ms a call and 94 MB more heap after 24,000), which in an interactive run came on top of every
 * request (issue 11).
 */
export function barLine(fields: BarFields, columns: number, opts: { color?: boolean } = {}): string {
  const spans: Span[] = [];
  const parts = layoutBar(fields, columns);
  parts.forEach((part, i) => {
    const prev = parts[i - 1];
    if (prev) spans.push(span(separatorAfter(prev), { dim: true }));
    spans.push(...partSpans(part));
  });
  return draw(truncateSpans(spans, Math.max(1, columns)), opts.color !== false);
}

const STATUS_COLOR: Readonly<Record<BarStatus, Color>> = {
  running: 'green',
  'waiting for approval': 'cyan',
  'paused: idle': 'yellow',
  stopped: 'red',
};

const colored = (level: Level, bold = false): { bold: boolean; color: Color } => ({ bold, color: LEVEL_COLOR[level] });

function partSpans(part: BarPart): Span[] {
  switch (part.kind) {
    case 'label':
      return [span(part.text, { bold: true })];
    case 'gauge':
      return [span(part.filled, colored(part.level)), span(part.empty, { dim: true })];
    case 'spend':
      return [span(part.text, colored(part.level, true))];
    case 'phase':
      return [span(part.text, colored(part.level))];
    case 'info':
      return [span(part.text)];
    case 'status':
      return [span(part.text, { bold: part.status !== 'running', color: STATUS_COLOR[part.status] })];
  }
}

/**
 * A renderer that remembers its last input: the bar is asked for on every repaint, but drawing
 * the same fields again (the common case) costs a string compare.
 */
export function memoLine<P>(render: (props: P, columns: number) => string): (props: P, columns: number) => string {
  let lastKey: string | null = null;
  let lastText = '';
  return (props, columns) => {
    const key = `${columns}|${JSON.stringify(props)}`;
    if (key !== lastKey) {
      lastText = render(props, columns);
      lastKey = key;
    }
    return lastText;
  };
}

/** Creates a cached bar renderer (one per session), in colour or not. */
export function createBarRenderer(color: boolean): (fields: BarFields, columns: number) => string {
  return memoLine((fields: BarFields, columns: number) => barLine(fields, columns, { color }));
}
