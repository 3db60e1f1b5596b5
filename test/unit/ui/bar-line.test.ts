import { describe, expect, it } from 'vitest';
import type { BarFields, BarPhase, BarStatus } from '../../../src/ui/bar-layout.js';
import { barLine, createBarRenderer, memoLine } from '../../../src/ui/bar-line.js';
import { renderBarLine, stripStyles } from '../../../src/ui/render-line.js';
import { BAR_FIELDS as BASE } from '../../fixtures/bar-fields.mjs';
import { cells, inkInColour } from '../../helpers/ink-cells.js';

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

inkInColour();

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

describe('memoLine', () => {
  it('renders again only when the props or the width change', () => {
    let renders = 0;
    const render = memoLine((p: { n: number }, columns: number) => `${++renders}:${p.n}@${columns}`);
    expect(render({ n: 1 }, 80)).toBe('1:1@80');
    expect(render({ n: 1 }, 80)).toBe('1:1@80');
    expect(render({ n: 2 }, 80)).toBe('2:2@80');
    expect(render({ n: 2 }, 60)).toBe('3:2@60');
    expect(renders).toBe(3);
  });
});

describe('createBarRenderer', () => {
  it("draws barLine, in colour or not (drawing again only on a change is memoLine's, tested above)", () => {
    const fields = { ...BASE, phase: PHASE };
    expect(createBarRenderer(true)(fields, 120)).toBe(barLine(fields, 120));
    expect(createBarRenderer(false)(fields, 120)).toBe(barLine(fields, 120, { color: false }));
    const bar = createBarRenderer(false);
    expect(bar({ ...BASE }, 100)).toBe(bar(BASE, 100));
    expect(bar({ ...BASE, spent: '$0.43' }, 100)).toContain('$0.43/$1.50');
  });
});
