import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { loadInk } from '../../src/ui/ink.js';

/** One drawn cell: its character and how a terminal draws it (a newline has no style). */
export interface Cell {
  char: string;
  bold: boolean;
  dim: boolean;
  underline: boolean;
  color: number | null;
}

/** What a terminal shows for `text`: every character with the weight, underline and colour in force. */
export function cells(text: string): Cell[] {
  const out: Cell[] = [];
  let bold = false;
  let dim = false;
  let underline = false;
  let color: number | null = null;
  // eslint-disable-next-line no-control-regex
  for (const m of text.matchAll(/\x1b\[([0-9;]*)m|([^\x1b])/gu)) {
    if (m[2] === '\n') out.push({ char: '\n', bold: false, dim: false, underline: false, color: null });
    else if (m[2] !== undefined) out.push({ char: m[2], bold, dim, underline, color });
    else
      for (const code of (m[1] || '0').split(';').map(Number)) {
        if (code === 0) [bold, dim, underline, color] = [false, false, false, null];
        else if (code === 1) bold = true;
        else if (code === 2) dim = true;
        else if (code === 4) underline = true;
        else if (code === 22) [bold, dim] = [false, false];
        else if (code === 24) underline = false;
        else if (code === 39) color = null;
        else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) color = code;
        else throw new Error(`unexpected SGR code ${code} in ${JSON.stringify(text)}`);
      }
  }
  return out;
}

/** The module `id` as Ink resolves it (its own chalk, string-width, …), imported: what Ink draws with. */
export async function importFromInk<T>(id: string): Promise<T> {
  return (await import(pathToFileURL(resolveFromInk(id)).href)) as T;
}

/** The file of module `id` as Ink resolves it. */
export function resolveFromInk(id: string): string {
  return createRequire(createRequire(import.meta.url).resolve('ink')).resolve(id);
}

/**
 * Loads Ink and makes it colour (its chalk finds no colour terminal in a test) for the file's
 * tests; `level(n)` sets chalk's level meanwhile.
 */
export function inkInColour(): { level(n: number): void } {
  let chalk: { level: number } | null = null;
  let before = 0;
  beforeAll(async () => {
    await loadInk();
    chalk = (await importFromInk<{ default: { level: number } }>('chalk')).default;
    before = chalk.level;
    chalk.level = 1;
  });
  afterAll(() => {
    if (chalk) chalk.level = before;
  });
  return {
    level(n) {
      if (!chalk) throw new Error('inkInColour: Ink is not loaded yet (call level() inside a test)');
      chalk.level = n;
    },
  };
}
