import { describe, expect, it } from 'vitest';
import { preRunScreen, promptScreen, summaryScreen } from '../../../src/cli/run-terminal.js';
import { inkPreRunPanel, inkRunSummary } from '../../../src/ui/print-panel.js';
import type { PreRunPanelProps } from '../../../src/ui/pre-run-panel.js';
import type { PromptFields } from '../../../src/ui/prompt-layout.js';
import { renderPromptLine } from '../../../src/ui/render-line.js';
import { preRunPanelText, promptLineText, runSummaryText } from '../../../src/ui/run-screens.js';
import type { RunSummaryProps } from '../../../src/ui/run-summary.js';

// Which way a run in a terminal draws each screen: as text, or (a character that may not take one
// column) through its Ink component, loaded for it. Drawn without colour, so Ink's chalk and the
// text agree whatever the test's terminal.

const PANEL: PreRunPanelProps = {
  command: 'claude -p "fix the test"',
  model: 'claude-sonnet-4-5',
  maxSpend: '$1.50',
  tokenEquivalent: null,
  otherCaps: [],
  atLimit: 'ask: pause the agent and ask for more',
  escalation: 'asks first',
  unattended: 'not allowed',
  idle: '10m without a keystroke pauses before the next spend',
  history: null,
  warning: null,
  columns: 60,
};

const SUMMARY: RunSummaryProps = {
  spent: '$0.42',
  requested: '$1.50',
  consumed: '28%',
  fraction: 0.28,
  approvals: [],
  hardStop: null,
  phases: [],
  models: [],
  exit: 'agent exit code 0',
  recordFile: '/home/someone/record.json',
  columns: 60,
};

const ASK = (detail: string): PromptFields => ({
  question: 'Budget reached: $1.49 of $1.50.',
  lead: 'The agent wants to run:',
  detail,
  choices: [
    { key: 'a', label: 'add $1.50' },
    { key: 's', label: 'stop' },
  ],
});

describe('the screens of a run in a terminal', () => {
  it('draws the pre-run panel as text, and through Ink for a wide character in the command', async () => {
    expect(await preRunScreen(PANEL, false)).toBe(preRunPanelText(PANEL, { color: false }));
    const wide = { ...PANEL, command: 'claude -p "修正"' };
    expect(preRunPanelText(wide)).toBeNull();
    const drawn = await preRunScreen(wide, false);
    expect(drawn).toBe(inkPreRunPanel(wide, { color: false }));
    expect(drawn).toContain('修正');
  });

  it('draws the summary as text, and through Ink for a wide character in the record’s path', async () => {
    expect(await summaryScreen(SUMMARY, false)).toBe(runSummaryText(SUMMARY, { color: false }));
    const wide = { ...SUMMARY, recordFile: '/home/ユーザー/record.json' };
    expect(runSummaryText(wide)).toBeNull();
    const drawn = await summaryScreen(wide, false);
    expect(drawn).toBe(inkRunSummary(wide, { color: false }));
    expect(drawn).toContain('ユーザー');
  });

  it('draws a question as text, and through Ink when the command it shows has a wide character, at every width and typed amount', async () => {
    const plain = await promptScreen((typed) => ({ ...ASK('`npm test`'), input: typed }), false);
    expect(plain('2.5', 120)).toBe(promptLineText({ ...ASK('`npm test`'), input: '2.5' }, 120, { color: false }));
    const wide = await promptScreen(() => ASK('`echo 修正`'), false);
    for (const columns of [20, 60, 120]) expect(wide('', columns)).toBe(renderPromptLine(ASK('`echo 修正`'), columns, { color: false }));
    expect(wide('', 120)).toContain('修正');
  });
});
