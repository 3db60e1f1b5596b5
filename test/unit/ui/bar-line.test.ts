import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BarFields, BarPhase, BarStatus } from '../../../src/ui/bar-layout.js';
import { barLine } from '../../../src/ui/bar-line.js';
import { loadInk } from '../../../src/ui/ink.js';
import { createBarRenderer, renderBarLine, stripStyles } from '../../../src/ui/render-line.js';
import { BAR_FIELDS } from '../../helpers/bar-fields.js';

/** One drawn cell: its character and how it is drawn. */
interface Cell {
  char: string;
  bold: boolean;
  dim: boolean;
  color: number | null;
}

/** What a terminal draws for `line`: every character with the weight and colour in force. */
function cells(line: string): Cell[] {
  const out: Cell[] = [];
  let bold = false;
  let dim = false;
  let color: number | null = null;
  // eslint-disable-next-line no-control-regex
  for (const m of line.matchAll(/\x1b\[([0-9;]*)m|([^\x1b])/gu)) {
    if (m[2] !== undefined) {
      out.push({ char: m[2], bold, dim, color });
      continue;
    }
    for (const code of (m[1] || '0').split(';').map(Number)) {
      if (code === 0) [bold, dim, color] = [false, false, null];
      else if (code === 1) bold = true;
      else if (code === 2) dim = true;
      else if (code === 22) [bold, dim] = [false, false];
      else if (code === 39) color = null;
      else if (code >= 30 && code <= 37) color = code;
      else throw new Error(`unexpected SGR code ${code} in ${JSON.stringify(line)}`);
    }
  }
  return out;
}

const BASE = BAR_FIELDS;

const PHASE: BarPhase = { name: 'verify', spent: '$0.40', cap: '$0.60', fraction: 0.67 };
const STATUSES: BarStatus[] = ['running', 'waiting for approval', 'paused: idle', 'stopped'];

/** Fields across what the bar shows: each level, each status, every optional part on and off. */
function variants(): BarFields[] {
  const out: BarFields[] = [];
  for (const fraction of [0, 0.03, 0.28, 0.7, 0.9, 1, 1.4]) {
    for (const status of STATUSES) {
      out.push({ ...BASE, fraction, status });
    }
  }
  out.push(
    { ...BASE, tokensLeft: '12,000 tokens left', actionsLeft: '8 actions left', phase: PHASE, forecast: '$0.15/min ~8m left' },
    { ...BASE, phase: { name: 'impl', spent: '$0.01', cap: null, fraction: null } },
    { ...BASE, cap: null, fraction: null, remaining: null, costliest: null },
    { ...BASE, model: 'bedrock/us.anthropic.claude-opus-4-5-20251101-v1:0' },
    { ...BASE, model: null, costliest: null, status: 'stopped', fraction: 1 },
  );
  return out;
}

const WIDTHS = [6, 10, 14, 20, 28, 36, 44, 52, 60, 72, 80, 100, 140, 200];

// Ink colours only where its chalk finds a colour terminal; a test's output is not one.
let chalk: { level: number };
let levelBefore = 0;
beforeAll(async () => {
  await loadInk();
  const inkRequire = createRequire(createRequire(import.meta.url).resolve('ink'));
  chalk = ((await import(pathToFileURL(inkRequire.resolve('chalk')).href)) as { default: { level: number } }).default;
  levelBefore = chalk.level;
  chalk.level = 1;
});
afterAll(() => {
  chalk.level = levelBefore;
});

describe('barLine', () => {
  it('draws every cell as the Ink component draws it', () => {
    let compared = 0;
    for (const fields of variants()) {
      for (const columns of WIDTHS) {
        const ink = renderBarLine(fields, columns);
        expect(ink, 'Ink drew no colour: the comparison would see none').toContain('\x1b[');
        expect(cells(barLine(fields, columns)), `${JSON.stringify(fields)} at ${columns} columns`).toEqual(cells(ink));
        compared++;
      }
    }
    expect(compared).toBe(variants().length * WIDTHS.length);
  });

  it('draws nothing but text without colour', () => {
    for (const columns of WIDTHS) {
      const line = barLine({ ...BASE, phase: PHASE }, columns, { color: false });
      expect(line).not.toContain('\x1b');
      expect(line).toBe(stripStyles(barLine({ ...BASE, phase: PHASE }, columns)));
    }
    expect(barLine(BASE, 160, { color: false })).toBe('capped ███░░░░░░░ $0.42/$1.50 · $1.08 left · top $0.08 · claude-sonnet-4-5 · running');
  });

  it('opens and closes each style once for a run of cells that share it', () => {
    // The separator and the gauge's empty cells are both dim: one run, as chalk's output through Ink.
    expect(barLine({ ...BASE, fraction: 0 }, 160)).toContain('\x1b[2m ░░░░░░░░░░ \x1b[22m');
    expect(barLine({ ...BASE, status: 'stopped' }, 160).endsWith('\x1b[1m\x1b[31mstopped\x1b[39m\x1b[22m')).toBe(true);
  });
});

describe('createBarRenderer', () => {
  it('draws barLine in colour where Ink draws colour, and without where it does not', () => {
    const fields = { ...BASE, phase: PHASE };
    expect(createBarRenderer()(fields, 120)).toBe(barLine(fields, 120));
    expect(createBarRenderer()(fields, 120, { color: false })).toBe(barLine(fields, 120, { color: false }));
    chalk.level = 0;
    try {
      expect(createBarRenderer()(fields, 120)).toBe(barLine(fields, 120, { color: false }));
    } finally {
      chalk.level = 1;
    }
  });
});
