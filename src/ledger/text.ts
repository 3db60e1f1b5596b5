import { formatWhole, usdToNano } from '../budget/money.js';
import { formatBudget, formatUsd } from '../model/format.js';

/** Dollars for people, as everywhere in capped (`$1.50`, `$0.0573`). */
export function money(usd: number): string {
  return formatUsd(usdToNano(usd));
}

/** A budget for people (`$1.00`, `$0.001`, `none`); see formatBudget. */
export function budgetMoney(usd: number | null): string {
  return formatBudget(usd === null ? null : usdToNano(usd));
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatWhole(n)} ${n === 1 ? one : many}`;
}

/** `2026-01-02 10:00` (or with seconds) in a time zone; the local one when none is given. */
export function stamp(iso: string, timeZone?: string, seconds = false): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    ...(timeZone === undefined ? {} : { timeZone }),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' as const } : {}),
    hourCycle: 'h23',
  }).formatToParts(Date.parse(iso));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}${seconds ? `:${get('second')}` : ''}`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Shell-like display of an argv: arguments with spaces or quotes are quoted. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (a === '' || /[\s"'\\$`]/.test(a) ? `'${a.replaceAll("'", "'\\''")}'` : a)).join(' ');
}

/**
 * Aligns rows into columns two spaces apart: `r` columns are right-aligned. Trailing spaces are
 * trimmed so the text diffs cleanly.
 */
export function table(rows: readonly (readonly string[])[], align: string, indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => {
      const cells = row.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)));
      return `${indent}${cells.join('  ')}`.trimEnd();
    })
    .map((line) => `${line}\n`)
    .join('');
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of unicode blocks, `width` cells for `max`, in eighths of a cell. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((Math.min(value, max) / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

/** Bold headings on a terminal; plain text everywhere else. */
export function heading(text: string, color: boolean): string {
  return color ? `\x1b[1m${text}\x1b[22m` : text;
}
