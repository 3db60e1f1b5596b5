import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import { renderToString } from '../../../src/ui/ink.js';
import { ApprovalPrompt } from '../../../src/ui/approval-prompt.js';
import { PreRunPanel, type PreRunPanelProps } from '../../../src/ui/pre-run-panel.js';
import type { PromptFields } from '../../../src/ui/prompt-layout.js';
import { preRunPanelText, promptLineText, runSummaryText } from '../../../src/ui/run-screens.js';
import { RunSummary, type RunSummaryProps } from '../../../src/ui/run-summary.js';
import { isNarrow, span, wrapSpans } from '../../../src/ui/styled-text.js';
import { cells, importFromInk, inkInColour } from '../../helpers/ink-cells.js';
import { mulberry32 } from '../helpers/prng.js';

inkInColour();

/** Words of 0 to 30 letters, with runs of spaces: what wrapping must get right (long words, empty ones, exact fits). */
function words(next: () => number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push('abcdefghijklmnopqrstuvwxyz/._-'.repeat(2).slice(0, Math.floor(next() * 31)));
  return out.join(' '.repeat(1 + Math.floor(next() * 1.3)));
}

const PANEL: PreRunPanelProps = {
  command: 'claude -p "fix the failing test in src/budget"',
  model: null,
  maxSpend: '$1.50',
  tokenEquivalent: '≈ 100,000 output tokens at $15.00/M output',
  otherCaps: ['max 200,000 tokens', 'max 50 tool actions'],
  atLimit: 'ask: pause the agent and ask for more',
  escalation: 'asks first',
  unattended: 'not allowed: a limit with nobody at the keyboard stops the run',
  idle: '10m without a keystroke pauses before the next spend',
  history: 'median $0.80, p90 $1.90 (12 runs)',
  warning: 'the cap is below what half of this repo’s runs cost ($0.80)',
  columns: 80,
};

const SUMMARY: RunSummaryProps = {
  spent: '$1.49',
  requested: '$1.50',
  consumed: '99%',
  fraction: 0.99,
  approvals: [
    { question: 'budget reached: raise $1.50 → $3.00', answer: 'approved' },
    { question: 'escalate to claude-opus-4-5', answer: 'declined' },
  ],
  hardStop: null,
  phases: [
    { name: 'implementation', value: '$1.20 · 14 requests' },
    { name: 'verification', value: '$0.29 · 3 requests' },
  ],
  models: [{ name: 'bedrock/us.anthropic.claude-opus-4-5-20251101-v1:0', value: '$1.49 · 17 requests' }],
  exit: 'agent exit code 0',
  recordFile: '/home/someone/work/a-rather-long-repository-name/.capped/records/run-2026-12-05T16-20-00Z.json',
  columns: 80,
};

const COLUMNS = [1, 12, 20, 27, 40, 59, 76, 90, 200];

/** Each panel at each of COLUMNS: drawn here, cell for cell as its Ink component draws it (as printPanel renders it). */
function expectPanelsAlike<P extends { columns: number }>(
  variants: readonly P[],
  text: (props: P) => string | null,
  element: (props: P) => ReactElement,
): void {
  for (const p of variants) {
    for (const columns of COLUMNS) {
      const props = { ...p, columns };
      expect(cells(text(props)!), JSON.stringify(props)).toEqual(cells(renderToString(element(props), { columns: Math.max(20, columns) })));
    }
  }
}

describe('preRunPanelText', () => {
  it('draws every cell as the Ink panel draws it', () => {
    const variants: PreRunPanelProps[] = [
      PANEL,
      { ...PANEL, model: 'bedrock/us.anthropic.claude-opus-4-5-20251101-v1:0', tokenEquivalent: null, otherCaps: [], history: null, warning: null },
      { ...PANEL, command: `node ${'/very/long/path/to/the/agent/entry/point/'.repeat(3)}main.js --flag` },
    ];
    const next = mulberry32(11);
    for (let i = 0; i < 40; i++) variants.push({ ...PANEL, command: words(next, 8), unattended: words(next, 6), warning: words(next, 5) });
    expectPanelsAlike(variants, preRunPanelText, (props) => <PreRunPanel {...props} />);
  });

  it('leaves to Ink a text with a character that may take two columns or none', () => {
    expect(preRunPanelText({ ...PANEL, command: 'claude -p "修正"' })).toBeNull();
    expect(preRunPanelText({ ...PANEL, model: 'e\u0301' })).toBeNull();
    expect(preRunPanelText(PANEL)).not.toBeNull();
  });
});

describe('runSummaryText', () => {
  it('draws every cell as the Ink summary draws it', () => {
    const variants: RunSummaryProps[] = [
      SUMMARY,
      { ...SUMMARY, hardStop: 'the $1.50 cap: the next request would have passed it', fraction: 1.2, approvals: [], recordFile: null },
      { ...SUMMARY, requested: null, consumed: null, fraction: null, phases: [], models: [] },
      { ...SUMMARY, fraction: 0.3 },
      { ...SUMMARY, fraction: 0.7 },
    ];
    const next = mulberry32(23);
    for (let i = 0; i < 30; i++)
      variants.push({ ...SUMMARY, recordFile: words(next, 4), exit: words(next, 5), approvals: [{ question: words(next, 6), answer: 'approved' }] });
    expectPanelsAlike(variants, runSummaryText, (props) => <RunSummary {...props} />);
  });

  it('leaves to Ink a summary with a wide character in a path', () => {
    expect(runSummaryText({ ...SUMMARY, recordFile: '/home/ユーザー/record.json' })).toBeNull();
  });
});

describe('promptLineText', () => {
  const ASK: PromptFields = {
    question: 'Budget reached: $1.49 of $1.50.',
    lead: 'The agent wants to run:',
    detail: '`npm test -- --run test/unit`.',
    choices: [
      { key: 'a', label: 'add $1.50' },
      { key: 'e', label: 'enter an amount' },
      { key: 's', label: 'stop' },
    ],
  };

  it('draws every cell as the Ink prompt draws it', () => {
    const variants: PromptFields[] = [
      ASK,
      { ...ASK, lead: null, detail: null },
      {
        question: 'Add how many dollars?',
        input: '2.5',
        choices: [
          { key: 'Enter', label: 'confirm' },
          { key: 'Esc', label: 'cancel' },
        ],
      },
    ];
    for (const fields of variants) {
      for (const columns of [1, 2, 8, 16, 30, 45, 60, 80, 120, 200]) {
        const ink = renderToString(<ApprovalPrompt {...fields} columns={columns} />, { columns }).split('\n', 1)[0]!;
        expect(cells(promptLineText(fields, columns)!), `${JSON.stringify(fields)} at ${columns}`).toEqual(cells(ink));
      }
    }
  });

  it('draws text alone without colour, and leaves a wide detail to Ink', () => {
    expect(promptLineText(ASK, 200, { color: false })).toBe(
      'Budget reached: $1.49 of $1.50. The agent wants to run: `npm test -- --run test/unit`. add $1.50 (a), enter an amount (e), or stop (s)?',
    );
    expect(promptLineText({ ...ASK, detail: '`rm -rf 日本`' }, 200)).toBeNull();
  });
});

describe('wrapSpans', () => {
  it('keeps every character and its style, in order, adding only line breaks', () => {
    const next = mulberry32(5);
    for (let i = 0; i < 200; i++) {
      const text = words(next, 10);
      const columns = 1 + Math.floor(next() * 30);
      const lines = wrapSpans([span(text.slice(0, 7), { bold: true }), span(text.slice(7))], columns);
      expect(lines.map((l) => l.map((s) => s.text).join('')).join('')).toBe(text);
      expect(lines.flat()[0]?.style.bold ?? text.length === 0).toBe(true);
    }
  });
});

describe('isNarrow', () => {
  it('takes the characters capped draws and refuses wide, combining and control ones', () => {
    expect(isNarrow('capped ███░░ $0.42/$1.50 · ≈ 100 → 200 … café ─│╭')).toBe(true);
    for (const text of ['日本', '🙂', 'e\u0301', 'tab\there', '\u200b', '\u0007', '\u00ad']) expect(isNarrow(text), JSON.stringify(text)).toBe(false);
  });

  it('accepts only characters Ink measures as one column', async () => {
    const stringWidth = (await importFromInk<{ default: (text: string) => number }>('string-width')).default;
    let accepted = 0;
    for (let code = 0; code <= 0x2fff; code++) {
      const char = String.fromCodePoint(code);
      if (!isNarrow(char)) continue;
      accepted++;
      expect(stringWidth(char), `U+${code.toString(16)}`).toBe(1);
    }
    expect(accepted).toBeGreaterThan(1200);
  });
});
