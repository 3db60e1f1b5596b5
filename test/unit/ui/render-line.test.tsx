import { Text } from 'ink';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadInk } from '../../../src/ui/ink.js';
import { renderBarLine, renderLine, renderPromptLine, stripStyles } from '../../../src/ui/render-line.js';
import { BAR_FIELDS as FIELDS } from '../../fixtures/bar-fields.mjs';
import { printPanel, printPreRunPanel } from '../../../src/ui/print-panel.js';
import { RunSummary } from '../../../src/ui/run-summary.js';

// The UI takes Ink's parts from src/ui/ink.ts once loaded, as the run does before its first render.
beforeAll(loadInk);

describe('renderLine', () => {
  it('renders the bar as exactly one line at any width', () => {
    for (const columns of [20, 40, 80, 160, 300]) {
      const line = renderBarLine(FIELDS, columns);
      expect(line).not.toContain('\n');
      expect([...stripStyles(line)].length).toBeLessThan(columns);
    }
    expect(stripStyles(renderBarLine(FIELDS, 160))).toBe('capped ███░░░░░░░ $0.42/$1.50 · $1.08 left · top $0.08 · claude-sonnet-4-5 · running');
  });

  it('keeps only the first line of a taller element', () => {
    expect(renderLine(<Text>{'one\ntwo'}</Text>, 40)).toBe('one');
  });

  it('drops colours when asked to', () => {
    expect(renderPromptLine({ question: 'Go?', choices: [{ key: 'y', label: 'Yes' }] }, 40, { color: false })).toBe('Go? Yes (y)?');
  });
});

describe('stripStyles', () => {
  it('removes SGR sequences only', () => {
    expect(stripStyles('\x1b[1m\x1b[32mok\x1b[39m\x1b[22m')).toBe('ok');
  });
});

describe('printPanel', () => {
  it('writes the rendered panel and a newline to the stream', () => {
    let out = '';
    const props = {
      spent: '$0.10',
      requested: null,
      consumed: null,
      fraction: null,
      approvals: [],
      hardStop: null,
      phases: [],
      models: [],
      exit: 'agent exit code 0',
      columns: 40,
    };
    printPanel(<RunSummary {...props} />, { write: (t: string) => (out += t) }, 40, { color: false });
    expect(out).toMatch(/^╭─+╮\n│ spent {9}\$0\.10 +│\n/);
    expect(out.endsWith('╯\n')).toBe(true);
  });

  it('prints the pre-run panel without JSX at the call site', () => {
    let out = '';
    const props = {
      command: 'claude',
      model: null,
      maxSpend: '$1.50',
      tokenEquivalent: null,
      atLimit: 'stop: the agent is ended',
      escalation: 'allowed',
      unattended: 'allowed',
      idle: 'off',
      columns: 60,
    };
    printPreRunPanel(props, { write: (t: string) => (out += t) }, { color: false });
    expect(out).toContain('│ capped run: claude');
    expect(out).toMatch(/│ at the limit {2}stop: the agent is ended +│/);
  });
});
