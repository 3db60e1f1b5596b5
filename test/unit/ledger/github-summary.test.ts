import { describe, expect, it } from 'vitest';
import { githubSummary as summaryOf } from '../../../src/ledger/github-summary.js';
import type { RunRecord } from '../../../src/model/run-record.js';
import { fixtureMoney } from '../../helpers/record-money.js';
import { finishedRecord, runStart } from '../../helpers/ledger-rows.js';

const start = runStart('20260302-090000-abc123');
const githubSummary = (record: RunRecord): string => summaryOf(record, fixtureMoney(record));

describe('githubSummary', () => {
  it('writes the run as a markdown table, models costliest first', () => {
    const record = finishedRecord(start, {
      spent: { usd: 0.75, inputTokens: 12_000, outputTokens: 3_000, cacheReadTokens: 40_000, cacheWriteTokens: 1_000, actions: 12, requests: 9 },
      phases: { implementation: { usd: 0.5 }, verification: { usd: 0.25 } },
      models: { 'claude-haiku-4-5': { usd: 0.05, requests: 4 }, 'claude-sonnet-4-5': { usd: 0.7, requests: 5 } },
      mostExpensive: { usd: 0.2, model: 'claude-sonnet-4-5', phase: 'verification', at: '2026-03-02T09:03:00.000Z' },
    });
    expect(githubSummary(record)).toBe(
      [
        '### capped run `20260302-090000-abc123`',
        '',
        '| | |',
        '| --- | --- |',
        "| Command | `claude --print 'fix the tests'` |",
        '| Outcome | ✅ Within budget · exit code 0 |',
        '| Spent | $0.75 of $1.50 (50.0%) |',
        '| Requests | 9 · 56,000 tokens (in 12,000, out 3,000, cache read 40,000, cache write 1,000) |',
        '| Tool actions | 12 of 40 |',
        '| Phases | implementation $0.50 · verification $0.25 |',
        '| Most expensive request | $0.20 on `claude-sonnet-4-5` (verification) at 2026-03-02T09:03:00.000Z |',
        '',
        '| Model | Spend | Requests |',
        '| --- | ---: | ---: |',
        '| `claude-sonnet-4-5` | $0.70 | 5 |',
        '| `claude-haiku-4-5` | $0.05 | 4 |',
        '',
        '',
      ].join('\n'),
    );
  });

  it('says which guard stopped the run, and why', () => {
    const record = finishedRecord(start, {
      hardStop: { reason: 'loop', at: '2026-03-02T09:04:00.000Z', detail: 'the same failing step `make` ran 3 times: error: x' },
      exitCode: 3,
    });
    expect(githubSummary(record)).toContain(
      '| Outcome | 🛑 **Stopped by the retry-loop guard** at 2026-03-02T09:04:00.000Z: the same failing step `make` ran 3 times: error: x · exit code 3 |\n',
    );
  });

  it('says when capped stopped the run, and lists its approvals', () => {
    const record = finishedRecord(start, {
      budget: { usd: null, tokens: 100_000, actions: null, verifyUsd: null },
      hardStop: { reason: 'tokens', at: '2026-03-02T09:04:00.000Z' },
      exceededInitialBudget: true,
      approvals: [{ kind: 'limit', at: '2026-03-02T09:02:00.000Z', answer: 'denied', from: 1.5, to: 3 }],
      estimated: true,
      apiEquivalent: true,
      exitCode: 3,
    });
    const md = githubSummary(record);
    expect(md).toContain('| Outcome | 🛑 **Stopped at the token cap** at 2026-03-02T09:04:00.000Z · exit code 3 |\n');
    expect(md).toContain('| Spent | $0.006000 (includes estimates) (API-equivalent price of a subscription) |\n');
    expect(md).toContain('| Tool actions | 4 |\n');
    expect(md).toContain('| Approval | Answer | Ceiling | At |\n| --- | --- | --- | --- |\n| limit | denied | $1.50 → $3.00 | 2026-03-02T09:02:00.000Z |\n');
    expect(githubSummary(finishedRecord(start, { exceededInitialBudget: true }))).toContain('| Outcome | ⚠️ Exceeded its initial budget · exit code 0 |');
    expect(githubSummary(finishedRecord(start, { exceededInitialBudget: true, breachCause: 'verification-heavy' }))).toContain(
      '| Outcome | ⚠️ Exceeded its initial budget · cause: `verification-heavy` · exit code 0 |',
    );
  });

  it('keeps a command with pipes, backticks and newlines inside its cell', () => {
    const md = githubSummary(finishedRecord(start, { command: ['sh', '-c', 'echo `date` | tee out\nls'] }));
    expect(md).toContain("| Command | `` sh -c 'echo `date` \\| tee out ls' `` |\n");
    expect(md.split('\n').filter((l) => l.startsWith('| Command'))).toHaveLength(1);
  });

  it('has no models table for a run without requests', () => {
    expect(githubSummary(finishedRecord(start, { models: {}, mostExpensive: null }))).not.toContain('| Model |');
  });
});
