import fs from 'node:fs';
import { openLedger } from '../../../src/ledger/open-ledger.js';
import type { RunRecord } from '../../../src/ledger/run-record.js';

/**
 * Seeds the SQLite ledger in `dataDir` with finished runs of `repo` that spent `spends` dollars
 * each (one request per run, started over the last hours), as earlier `capped run`s would have.
 */
export async function seedHistory(dataDir: string, repo: string, spends: readonly number[], command: readonly string[]): Promise<void> {
  const ledger = await openLedger({ url: null, dataDir });
  const real = fs.realpathSync(repo);
  try {
    for (const [i, usd] of spends.entries()) {
      const startedAt = new Date(Date.now() - (i + 1) * 3_600_000).toISOString();
      const endedAt = new Date(Date.parse(startedAt) + 60_000).toISOString();
      const id = `seed-${i}`;
      const budget = { usd: 5, tokens: null, actions: null, verifyUsd: null };
      const policy = { preset: null, onLimit: 'stop', escalation: 'allow', model: null, downgradeTo: null, restrictedTools: [] };
      await ledger.startRun({ id, command, cwd: real, repo: real, host: 'seed', pid: 1, startedAt, budget, policy });
      const nano = Math.round(usd * 1e9);
      const tokens = { input: 1000, output: 100, cacheRead: 0, cacheWrite: 0 };
      await ledger.recordRequest({
        runId: id,
        at: startedAt,
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        phase: 'implementation',
        tokens,
        costNano: nano,
        estimated: false,
        retry: false,
      });
      const record: RunRecord = {
        id,
        command: [...command],
        cwd: real,
        startedAt,
        endedAt,
        policy,
        budget,
        spent: { usd, inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, actions: 0, requests: 1 },
        phases: { implementation: { usd }, verification: { usd: 0 } },
        models: { 'claude-sonnet-4-5': { usd, requests: 1 } },
        mostExpensive: null,
        approvals: [],
        hardStop: null,
        exceededInitialBudget: false,
        breachCause: null,
        estimated: false,
        apiEquivalent: false,
        toolsRemoved: [],
        exitCode: 0,
      };
      await ledger.finishRun(record);
    }
  } finally {
    await ledger.close();
  }
}
