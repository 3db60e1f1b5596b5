import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadInk } from '../../../src/ui/ink.js';
import type { RunRecord } from '../../../src/ledger/run-record.js';
import { preRunFromFacts } from '../../../src/ui/panel-model.js';
import { PreRunPanel } from '../../../src/ui/pre-run-panel.js';
import { RunSummary } from '../../../src/ui/run-summary.js';
import { summaryFromRecord } from '../../../src/ui/summary-model.js';
import type { RunMoney } from '../../../src/model/run-money.js';

afterEach(() => cleanup());

const FACTS = {
  command: ['claude', '--continue'],
  model: 'claude-sonnet-4-5',
  capNano: 1_500_000_000,
  outPicoPerToken: 15_000_000, // $15 per million output tokens
  onLimit: 'ask' as const,
  escalation: 'ask' as const,
  unattended: false,
  idleMs: 600_000,
  columns: 80,
};

const RECORD: RunRecord = {
  id: 'r1',
  command: ['claude'],
  cwd: '/tmp',
  startedAt: '2025-01-01T00:00:00.000Z',
  endedAt: '2025-01-01T00:10:00.000Z',
  policy: { preset: null, onLimit: 'ask', escalation: 'ask', model: null, downgradeTo: null, restrictedTools: [] },
  budget: { usd: 1.5, tokens: null, actions: null, verifyUsd: null },
  spent: { usd: 1.4931, inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, actions: 3, requests: 4 },
  phases: { implementation: { usd: 1.2 }, verification: { usd: 0.2931 } },
  models: { 'claude-haiku-4-5': { usd: 0.1, requests: 1 }, 'claude-sonnet-4-5': { usd: 1.3931, requests: 3 } },
  mostExpensive: null,
  approvals: [
    { kind: 'limit', at: '2025-01-01T00:05:00.000Z', answer: 'approved', from: 0.75, to: 1.5 },
    { kind: 'escalation', at: '2025-01-01T00:06:00.000Z', answer: 'denied', from: 1.5, to: 4, model: 'claude-opus-4-5' },
  ],
  hardStop: { reason: 'usd', at: '2025-01-01T00:09:00.000Z' },
  exceededInitialBudget: true,
  estimated: false,
  apiEquivalent: false,
  toolsRemoved: [],
  exitCode: 3,
};
/** RECORD's amounts as the engine holds them. */
const MONEY: RunMoney = {
  spent: 1_493_100_000,
  budget: 1_500_000_000,
  phases: { implementation: 1_200_000_000, verification: 293_100_000 },
  models: { 'claude-haiku-4-5': 100_000_000, 'claude-sonnet-4-5': 1_393_100_000 },
  mostExpensive: null,
  approvals: [
    { from: 750_000_000, to: 1_500_000_000 },
    { from: 1_500_000_000, to: 4_000_000_000 },
  ],
};

// The UI takes Ink's parts from src/ui/ink.ts once loaded, as the run does before its first render.
beforeAll(loadInk);

describe('PreRunPanel', () => {
  it('says the model, the cap with its token equivalent, the limit policy, escalation, unattended and idle', () => {
    const frame = render(<PreRunPanel {...preRunFromFacts(FACTS)} />).lastFrame() ?? '';
    expect(frame).toMatchInlineSnapshot(`
      "╭──────────────────────────────────────────────────────────────────────────╮
      │ capped run: claude --continue                                            │
      │ model         claude-sonnet-4-5                                          │
      │ max spend     $1.50 ≈ 100,000 output tokens at $15.00/M output           │
      │ at the limit  ask: the agent is paused and you are asked for more        │
      │ escalation    a pricier model asks first                                 │
      │ unattended    not allowed: nobody at the keyboard means a limit stops    │
      │               the run                                                    │
      │ idle window   10m without a keystroke pauses before the next spend       │
      ╰──────────────────────────────────────────────────────────────────────────╯"
    `);
  });

  it('wraps values within a 40-column terminal and never draws wider', () => {
    const frame =
      render(<PreRunPanel {...preRunFromFacts({ ...FACTS, columns: 40, model: 'bedrock/us.anthropic.claude-opus-4-5-20251101-v1:0' })} />).lastFrame() ?? '';
    for (const row of frame.split('\n')) expect([...row].length).toBeLessThanOrEqual(40);
    expect(frame).toContain('bedrock/us.anthropic.…');
    expect(frame).toMatch(/at the limit {2}ask: the agent is +│\n│ +paused and you are/);
  });

  it('shows what runs of this repo cost recently, and warns when the cap is below their median', () => {
    const history = {
      agent: 'claude',
      repo: { runs: 12, medianNano: 2_100_000_000, p90Nano: 4_400_000_000, medianRequests: 30 },
      agentRuns: { runs: 5, medianNano: 1_800_000_000, p90Nano: 3_000_000_000, medianRequests: 25 },
    };
    const frame = render(<PreRunPanel {...preRunFromFacts({ ...FACTS, history })} />).lastFrame() ?? '';
    expect(frame).toContain('│ recent runs   median $2.10, p90 $4.40 (12 runs) · claude: median $1.80,  │');
    expect(frame).toContain(
      '│               warning: the cap $1.50 is below the median run here        │\n│               ($2.10): this run will likely need more                    │',
    );
    // a cap at or above the median: the history, and no warning
    const fine = render(<PreRunPanel {...preRunFromFacts({ ...FACTS, capNano: 2_500_000_000, history })} />).lastFrame() ?? '';
    expect(fine).toContain('recent runs');
    expect(fine).not.toContain('warning');
    // no history: neither row
    expect(render(<PreRunPanel {...preRunFromFacts(FACTS)} />).lastFrame()).not.toContain('recent runs');
  });

  it('says so when the price is unknown and idle detection is off', () => {
    const frame =
      render(<PreRunPanel {...preRunFromFacts({ ...FACTS, outPicoPerToken: null, idleMs: null, model: null, unattended: true })} />).lastFrame() ?? '';
    expect(frame).toContain("model         agent's default");
    expect(frame).toMatch(/max spend {5}\$1\.50 +│/);
    expect(frame).toMatch(/idle window {3}off/);
    expect(frame).toMatch(/unattended {4}allowed/);
  });
});

describe('RunSummary', () => {
  it('shows spend against the request, approvals and answers, hard stop, phases and models', () => {
    const frame = render(<RunSummary {...summaryFromRecord(RECORD, MONEY, 80, '/tmp/record.json')} />).lastFrame() ?? '';
    expect(frame).toMatchInlineSnapshot(`
      "╭──────────────────────────────────────────────────────────────────────────╮
      │ spent         $1.49 of $1.50 requested (99% consumed)                    │
      │ hard stop     the spending cap was reached; the agent was ended          │
      │ approvals     2 asked                                                    │
      │               limit: $0.75 → $1.50: approved                             │
      │               escalation to claude-opus-4-5: $1.50 → $4.00: denied       │
      │ by phase      implementation $1.20                                       │
      │               verification $0.29                                         │
      │ by model      claude-sonnet-4-5 $1.39 · 3 requests                       │
      │               claude-haiku-4-5 $0.10 · 1 request                         │
      │ exit          exit 3 (stopped at the limit)                              │
      │ record        /tmp/record.json                                           │
      ╰──────────────────────────────────────────────────────────────────────────╯"
    `);
  });

  it('fits a 40-column terminal', () => {
    const frame = render(<RunSummary {...summaryFromRecord(RECORD, MONEY, 40)} />).lastFrame() ?? '';
    for (const row of frame.split('\n')) expect([...row].length).toBeLessThanOrEqual(40);
    expect(frame).toContain('$1.49 of $1.50');
  });

  it('says no hard stop and no approvals for a run that ended by itself', () => {
    const frame =
      render(<RunSummary {...summaryFromRecord({ ...RECORD, hardStop: null, approvals: [], exitCode: 0 }, { ...MONEY, approvals: [] }, 80)} />).lastFrame() ??
      '';
    expect(frame).toMatch(/hard stop {5}no/);
    expect(frame).toMatch(/approvals {5}none asked/);
    expect(frame).toMatch(/exit {10}agent exit code 0/);
  });

  it('names every kind of hard stop, the window ceilings across runs included', () => {
    const summary = summaryFromRecord({ ...RECORD, hardStop: { reason: 'window', at: '2026-01-01T00:00:00.000Z' } }, MONEY, 80);
    expect(summary.hardStop).toBe('the daily/weekly cap was reached; the agent was ended');
  });
});
