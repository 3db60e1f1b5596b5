/**
 * Text in styles, drawn as Ink draws its `<Text>` (chalk's SGR codes, Ink's wrapping and
 * truncation), without React: what a run in a terminal shows (the bar, the panels, the questions)
 * is drawn from here, and Ink is never loaded for it (issue 11: loading Ink cost a run in a
 * terminal about 270 ms and 47 MB before the agent started; rendering through it, 0.5–1 ms a
 * call). The Ink components in this directory remain the definition of each screen; tests compare
 * every cell drawn here with theirs.
 *
 * Widths count one column a character, which holds for the characters `isNarrow` accepts. Text
 * with any other character (a wide or combining one in a command, a path or a model name) is
 * drawn by the Ink component instead, which measures it as a terminal does.
 */

export type Color = 'red' | 'green' | 'yellow' | 'cyan' | 'gray';

export interface Style {
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly underline?: boolean;
  readonly color?: Color | null;
}

export interface Span {
  readonly text: string;
  readonly style: Style;
}

export const span = (text: string, style: Style = {}): Span => ({ text, style });

// Printable ASCII and Latin-1 (not the soft hyphen, which takes none), and the punctuation,
// arrows, maths, box drawing and block characters capped writes (…, ·, ≈, →, ─, █): one column
// each as Ink measures them (string-width; a test checks every one).
const NARROW = /^[\u0020-\u007e\u00a0-\u00ac\u00ae-\u02ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2200-\u22ff\u2500-\u259f]*$/u;

/** Whether every character of `text` takes exactly one column. */
export function isNarrow(text: string): boolean {
  return NARROW.test(text);
}

/** Columns `text` takes (its characters: see isNarrow). */
export const widthOf = (text: string): number => [...text].length;

const COLOR_CODE: Readonly<Record<Color, number>> = { red: 31, green: 32, yellow: 33, cyan: 36, gray: 90 };
const sgr = (code: number): string => `\x1b[${code}m`;

const sameStyle = (a: Style, b: Style): boolean =>
  !!a.bold === !!b.bold && !!a.dim === !!b.dim && !!a.underline === !!b.underline && (a.color ?? null) === (b.color ?? null);

/**
 * The spans as one string: runs of the same style drawn as one, each opened and closed as chalk
 * nests them for Ink (weight outside underline outside colour); without colour, the text alone.
 */
export function draw(spans: readonly Span[], color = true): string {
  if (!color) return spans.map((s) => s.text).join('');
  let out = '';
  let text = '';
  let style: Style = {};
  const flush = (): void => {
    if (text === '') return;
    const open = (style.bold ? sgr(1) : '') + (style.dim ? sgr(2) : '') + (style.underline ? sgr(4) : '') + (style.color ? sgr(COLOR_CODE[style.color]) : '');
    const close = (style.color ? sgr(39) : '') + (style.underline ? sgr(24) : '') + (style.bold || style.dim ? sgr(22) : '');
    out += open + text + close;
    text = '';
  };
  for (const s of spans) {
    if (s.text === '') continue;
    if (!sameStyle(s.style, style)) {
      flush();
      style = s.style;
    }
    text += s.text;
  }
  flush();
  return out;
}

/** The spans' characters, each with its style. */
function cellsOf(spans: readonly Span[]): { char: string; style: Style }[] {
  return spans.flatMap((s) => [...s.text].map((char) => ({ char, style: s.style })));
}

/** Characters back into spans, neighbours of one style joined. */
function spansOf(cells: readonly { char: string; style: Style }[]): Span[] {
  const out: { text: string; style: Style }[] = [];
  for (const c of cells) {
    const last = out.at(-1);
    if (last && last.style === c.style) last.text += c.char;
    else out.push({ text: c.char, style: c.style });
  }
  return out;
}

/**
 * Ink's `wrap="wrap"`: wrap-ansi with `{ trim: false, hard: true }`, line by line. A word that
 * does not fit goes to the next line (the space before it stays at the end of this one), a word
 * wider than the line is broken, and a line already full gets a line of its own for the space
 * after it. Only line breaks are added: every character stays, in order.
 */
export function wrapSpans(spans: readonly Span[], columns: number): Span[][] {
  const cells = cellsOf(spans);
  const lines: Span[][] = [];
  let start = 0;
  for (let i = 0; i <= cells.length; i++) {
    if (i < cells.length && cells[i]!.char !== '\n') continue;
    const line = cells.slice(start, i);
    const text = line.map((c) => c.char).join('');
    // Ink wraps only a text wider than its box.
    const rows = widthOf(text) > columns ? wrapLine(text, columns) : [text];
    let at = 0;
    for (const row of rows) {
      const n = [...row].length;
      const cut = line.slice(at, at + n);
      // A span that goes on past a break goes on in its innermost style only (see carried).
      const before = at > 0 ? line[at - 1]!.style : null;
      for (let k = 0; k < cut.length && cut[k]!.style === before; k++) cut[k] = { char: cut[k]!.char, style: carried(before) };
      lines.push(spansOf(cut));
      at += n;
    }
    start = i + 1;
  }
  return lines;
}

const carriedStyles = new WeakMap<Style, Style>();

/**
 * The style a span keeps on the lines after a break. Ink draws a `<Text>` inside another as its
 * string wrapped in chalk's codes (weight and underline outside the colour, dim inside it), and
 * wrap-ansi closes and reopens at a break only the last code it read: a bold red amount broken
 * across lines is red alone after the break.
 */
function carried(style: Style): Style {
  let out = carriedStyles.get(style);
  if (!out) {
    out = style.dim ? { dim: true } : style.color ? { color: style.color } : style.bold ? { bold: true } : style.underline ? { underline: true } : {};
    carriedStyles.set(style, out);
  }
  return out;
}

/** wrap-ansi 9's `exec` for one line of plain text, trim off, hard on. */
function wrapLine(text: string, columns: number): string[] {
  const words = text.split(' ');
  const rows = [''];
  words.forEach((word, index) => {
    let rowLength = widthOf(rows.at(-1)!);
    if (index !== 0) {
      if (rowLength >= columns) {
        rows.push('');
        rowLength = 0;
      }
      rows[rows.length - 1] += ' ';
      rowLength++;
    }
    const length = widthOf(word);
    if (length > columns) {
      const breaksStartingThisLine = 1 + Math.floor((length - (columns - rowLength) - 1) / columns);
      const breaksStartingNextLine = Math.floor((length - 1) / columns);
      if (breaksStartingNextLine < breaksStartingThisLine) rows.push('');
      wrapWord(rows, word, columns);
      return;
    }
    if (rowLength + length > columns && rowLength > 0 && length > 0) rows.push('');
    rows[rows.length - 1] += word;
  });
  return rows;
}

/** wrap-ansi 9's `wrapWord`: the word's characters across rows of `columns`. */
function wrapWord(rows: string[], word: string, columns: number): void {
  const characters = [...word];
  let visible = widthOf(rows.at(-1)!);
  characters.forEach((character, index) => {
    if (visible + 1 <= columns) rows[rows.length - 1] += character;
    else {
      rows.push(character);
      visible = 0;
    }
    visible += 1;
    if (visible === columns && index < characters.length - 1) {
      rows.push('');
      visible = 0;
    }
  });
  if (!visible && rows.at(-1)!.length > 0 && rows.length > 1) rows[rows.length - 2] += rows.pop()!;
}

/**
 * Ink's `wrap="truncate-end"` (cli-truncate 5): too wide, cut to `columns - 1` characters and an
 * ellipsis in the style of the last one kept (a single column: the ellipsis alone, unstyled).
 */
export function truncateSpans(spans: readonly Span[], columns: number): Span[] {
  const cells = cellsOf(spans);
  if (cells.length <= columns) return [...spans];
  if (columns < 1) return [];
  if (columns === 1) return [span('…')];
  const kept = cells.slice(0, columns - 1);
  return spansOf([...kept, { char: '…', style: kept.at(-1)!.style }]);
}
