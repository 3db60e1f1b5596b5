import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadInk } from '../../../src/ui/ink.js';
import { ApprovalPrompt } from '../../../src/ui/approval-prompt.js';
import { choicesText, layoutPrompt } from '../../../src/ui/prompt-layout.js';

const BUDGET = {
  question: 'Budget reached: $1.49 of $1.50.',
  choices: [
    { key: 'a', label: 'Add $1.50' },
    { key: 'e', label: 'enter an amount' },
    { key: 's', label: 'stop' },
  ],
};

const IDLE = {
  question: 'Paused: no keystroke for 10m.',
  lead: 'The agent wants to run:',
  detail: '`npm test`.',
  choices: [
    { key: 'c', label: 'Continue' },
    { key: 's', label: 'stop' },
  ],
};

afterEach(() => cleanup());

// The UI takes Ink's parts from src/ui/ink.ts once loaded, as the run does before its first render.
beforeAll(loadInk);

describe('ApprovalPrompt', () => {
  it('asks the budget question with its keys', () => {
    const { lastFrame } = render(<ApprovalPrompt {...BUDGET} columns={100} />);
    expect(lastFrame()).toBe('Budget reached: $1.49 of $1.50. Add $1.50 (a), enter an amount (e), or stop (s)?');
  });

  it('says what the agent wants to run when idle', () => {
    const { lastFrame } = render(<ApprovalPrompt {...IDLE} columns={120} />);
    expect(lastFrame()).toBe('Paused: no keystroke for 10m. The agent wants to run: `npm test`. Continue (c) or stop (s)?');
  });

  it('drops the lead, then cuts the detail, then the question, and keeps the keys when narrow', () => {
    const long = { ...IDLE, detail: '`npm run test -- --reporter=verbose --coverage`.' };
    const at80 = render(<ApprovalPrompt {...long} columns={80} />).lastFrame() ?? '';
    expect(at80).toBe('Paused: no keystroke for 10m. `npm run test -- --rep… Continue (c) or stop (s)?');
    expect([...at80].length).toBeLessThanOrEqual(79);
    const at40 = render(<ApprovalPrompt {...long} columns={40} />).lastFrame() ?? '';
    expect(at40).toBe('`npm run tes… Continue (c) or stop (s)?');
    expect([...at40].length).toBeLessThanOrEqual(39);
  });

  it('shows an amount being typed', () => {
    const { lastFrame } = render(
      <ApprovalPrompt
        question="Raise max spend to: $"
        input="2.5"
        choices={[
          { key: 'Enter', label: 'confirm' },
          { key: 'Esc', label: 'cancel' },
        ]}
        columns={80}
      />,
    );
    expect(lastFrame()).toBe('Raise max spend to: $ 2.5_ confirm (Enter) or cancel (Esc)?');
  });
});

describe('choicesText', () => {
  it('joins one, two and three choices the way people write them', () => {
    expect(choicesText([{ key: 'c', label: 'Continue' }])).toBe('Continue (c)?');
    expect(choicesText(IDLE.choices)).toBe('Continue (c) or stop (s)?');
    expect(choicesText(BUDGET.choices)).toBe('Add $1.50 (a), enter an amount (e), or stop (s)?');
  });

  it('drops the question entirely when even the keys barely fit', () => {
    expect(layoutPrompt(IDLE, 20)).toEqual({ question: '', lead: null, detail: null, input: null, choices: 'Continue (c) or st…' });
  });
});
