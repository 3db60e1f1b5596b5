import { render } from 'ink-testing-library';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadInk } from '../../../src/ui/ink.js';
import { cleanup } from 'ink-testing-library';
import type { BarFields } from '../../../src/ui/bar-layout.js';
import { BudgetBar } from '../../../src/ui/budget-bar.js';

const FIELDS: BarFields = {
  spent: '$1.32',
  cap: '$1.50',
  fraction: 0.88,
  remaining: '$0.18 left',
  tokensLeft: null,
  actionsLeft: '3 actions left',
  phase: { name: 'verify', spent: '$0.40', cap: '$0.60', fraction: 0.67 },
  costliest: 'top $0.21',
  model: 'claude-opus-4-5',
  status: 'running',
};

afterEach(() => cleanup());

// The UI takes Ink's parts from src/ui/ink.ts once loaded, as the run does before its first render.
beforeAll(loadInk);

describe('BudgetBar', () => {
  it('shows spend, cap, what is left, model and state on one line', () => {
    // ink-testing-library's terminal is 100 columns wide; wider lines are tested through renderLine.
    const { lastFrame } = render(<BudgetBar {...FIELDS} columns={100} />);
    expect(lastFrame()).toBe('█████████░ $1.32/$1.50 · $0.18 left · 3 actions left · claude-opus-4-5 · running');
  });

  it('shows each state', () => {
    for (const status of ['running', 'waiting for approval', 'paused: idle', 'stopped'] as const) {
      const { lastFrame } = render(<BudgetBar {...FIELDS} status={status} columns={100} />);
      expect(lastFrame()).toMatch(new RegExp(`· ${status.replace(':', '\\:')}$`));
    }
  });

  it('degrades to one short line on a 40-column terminal', () => {
    const { lastFrame } = render(<BudgetBar {...FIELDS} columns={40} />);
    const frame = lastFrame() ?? '';
    expect(frame).toBe('███░ $1.32/$1.50 · claude-op… · running');
    expect(frame.split('\n')).toHaveLength(1);
    expect([...frame].length).toBeLessThan(40);
  });

  it('cuts a long model name with an ellipsis', () => {
    const { lastFrame } = render(<BudgetBar {...FIELDS} model="bedrock/us.anthropic.claude-opus-4-5-20251101-v1:0" columns={100} />);
    expect(lastFrame()).toContain('bedrock/us.anthropic.claude…');
  });

  it('shows spend alone when nothing is capped', () => {
    const { lastFrame } = render(
      <BudgetBar {...FIELDS} cap={null} fraction={null} remaining={null} actionsLeft={null} phase={null} costliest={null} columns={80} />,
    );
    expect(lastFrame()).toBe('capped $1.32 spent · claude-opus-4-5 · running');
  });
});
