import { layoutBar, separatorAfter, type BarFields, type BarPart, type BarStatus } from './bar-layout.js';
import { LEVEL_COLOR, type Level } from './levels.js';

/**
 * The budget bar as one line of text, drawn without React: each cell as `BudgetBar` (the Ink
 * component) draws it, same text, weight and colour (test/unit/ui/bar-line.test.ts compares them
 * across fields and widths). The status row repaints as spend changes, and Ink's renderToString
 * cost 0.5–1 ms a call and kept every root it made (each call slower than the last: 4 ms and
 * 100 MB more after 24,000), which in an interactive run came on top of every request (issue 11).
 */
export function barLine(fields: BarFields, columns: number, opts: { color?: boolean } = {}): string {
  const runs: Run[] = [];
  const parts = layoutBar(fields, columns);
  parts.forEach((part, i) => {
    const prev = parts[i - 1];
    if (prev) runs.push({ text: separatorAfter(prev), style: DIM });
    runs.push(...partRuns(part));
  });
  return opts.color === false ? runs.map((r) => r.text).join('') : styled(runs);
}

type Color = 'green' | 'yellow' | 'red' | 'cyan';

interface Style {
  readonly bold: boolean;
  readonly dim: boolean;
  readonly color: Color | null;
}

interface Run {
  readonly text: string;
  readonly style: Style;
}

const PLAIN: Style = { bold: false, dim: false, color: null };
const DIM: Style = { bold: false, dim: true, color: null };

const STATUS_COLOR: Readonly<Record<BarStatus, Color>> = {
  running: 'green',
  'waiting for approval': 'cyan',
  'paused: idle': 'yellow',
  stopped: 'red',
};

const colored = (level: Level, bold = false): Style => ({ bold, dim: false, color: LEVEL_COLOR[level] });

function partRuns(part: BarPart): Run[] {
  switch (part.kind) {
    case 'label':
      return [{ text: part.text, style: { ...PLAIN, bold: true } }];
    case 'gauge':
      return [
        { text: part.filled, style: colored(part.level) },
        { text: part.empty, style: DIM },
      ];
    case 'spend':
      return [{ text: part.text, style: colored(part.level, true) }];
    case 'phase':
      return [{ text: part.text, style: colored(part.level) }];
    case 'info':
      return [{ text: part.text, style: PLAIN }];
    case 'status':
      return [{ text: part.text, style: { bold: part.status !== 'running', dim: false, color: STATUS_COLOR[part.status] } }];
  }
}

// The SGR codes chalk writes for Ink: bold and dim both end with 22.
const COLOR_CODE: Readonly<Record<Color, number>> = { red: 31, green: 32, yellow: 33, cyan: 36 };
const sgr = (code: number): string => `\x1b[${code}m`;

const sameStyle = (a: Style, b: Style): boolean => a.bold === b.bold && a.dim === b.dim && a.color === b.color;

/** Runs of the same style drawn as one; each opened and closed as chalk nests them (weight outside colour). */
function styled(runs: readonly Run[]): string {
  let out = '';
  let text = '';
  let style: Style = PLAIN;
  const flush = (): void => {
    if (text === '') return;
    const open = (style.bold ? sgr(1) : '') + (style.dim ? sgr(2) : '') + (style.color ? sgr(COLOR_CODE[style.color]) : '');
    const close = (style.color ? sgr(39) : '') + (style.bold || style.dim ? sgr(22) : '');
    out += open + text + close;
    text = '';
  };
  for (const run of runs) {
    if (run.text === '') continue;
    if (!sameStyle(run.style, style)) {
      flush();
      style = run.style;
    }
    text += run.text;
  }
  flush();
  return out;
}
