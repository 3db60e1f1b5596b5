import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAnthropicAgent, tempDir, until, type RequestOutcome } from '../fixtures/policy-run.mjs';
import { startScriptedAnthropic, type ScriptedAnthropic } from '../fixtures/policy-upstream.mjs';

// A repository's .budgetrc end to end: found from the agent's working directory, validated before
// anything starts, its ceilings binding flags, and reloaded while the session runs.

const SONNET = 'claude-sonnet-4-5';

let upstream: ScriptedAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

/** A repository with this .budgetrc (realpath: capped names files from its real cwd). */
function repo(budgetrc: string): { dir: string; file: string } {
  const dir = fs.realpathSync(tempDir('capped-policy-repo-'));
  const file = path.join(dir, '.budgetrc');
  fs.writeFileSync(file, budgetrc);
  return { dir, file };
}

const outcomesOf = (steps: unknown[]): RequestOutcome[] => steps as RequestOutcome[];

describe('.budgetrc at start', () => {
  const RC = '# this repo’s policy\nmaxUsd: 0.75\nceilings:\n  maxUsd: 2\n';

  it('applies in a subdirectory of the repository, and a flag within the ceiling wins over it', async () => {
    const { dir } = repo(RC);
    const sub = path.join(dir, 'packages/app');
    fs.mkdirSync(sub, { recursive: true });
    upstream = await startScriptedAnthropic();
    const fromFile = await runAnthropicAgent([], [{ model: SONNET }], { cwd: sub, env: { ANTHROPIC_BASE_URL: upstream.url } });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.record!.budget.usd).toBe(0.75);
    expect(fromFile.record!.cwd).toBe(sub);
    const flagged = await runAnthropicAgent(['--max-usd', '1.50'], [{ model: SONNET }], { cwd: sub, env: { ANTHROPIC_BASE_URL: upstream.url } });
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(flagged.record!.budget.usd).toBe(1.5);
    expect(upstream.bill.requests).toHaveLength(2);
  });

  it('--max-usd above the repository ceiling exits 2 naming the file; nothing starts', async () => {
    const { dir, file } = repo(RC);
    upstream = await startScriptedAnthropic();
    const started = path.join(dir, 'agent-started');
    const run = await runAnthropicAgent(['--max-usd', '3'], [{ touch: started }, { model: SONNET }], { cwd: dir, env: { ANTHROPIC_BASE_URL: upstream.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`capped: --max-usd 3 exceeds the ceiling of $2.00 set in ${file} (line 4); lower it or change that file.\n`);
    expect(fs.existsSync(started)).toBe(false);
    expect(upstream.bill.received).toHaveLength(0);
    expect(run.record).toBeNull();
  });

  it('an unknown key exits 2 with file:line:column and a did-you-mean; nothing starts', async () => {
    const { dir } = repo('# this repo’s policy\nmaxUSD: 0.75\nonLimit: stop\n');
    upstream = await startScriptedAnthropic();
    const started = path.join(dir, 'agent-started');
    const run = await runAnthropicAgent([], [{ touch: started }, { model: SONNET }], { cwd: dir, env: { ANTHROPIC_BASE_URL: upstream.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('capped: .budgetrc:2:1: unknown key "maxUSD" — did you mean "maxUsd"?\n');
    expect(fs.existsSync(started)).toBe(false);
    expect(upstream.bill.received).toHaveLength(0);
    expect(run.record).toBeNull();
  });
});

describe('.budgetrc edited while the session runs', () => {
  it('a lowered cap applies at the next request and ends the run there (exit 3)', async () => {
    const { dir, file } = repo('maxUsd: 5\n');
    upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 400 }) });
    const up = upstream;
    let atReload: number | null = null;
    const running = runAnthropicAgent([], [{ model: SONNET }, { sleepMs: 30 }], {
      cwd: dir,
      loop: true,
      env: { ANTHROPIC_BASE_URL: up.url },
      onStderr: (all) => {
        if (atReload === null && all.includes('policy reloaded')) atReload = up.bill.requests.length;
      },
    });
    await until(() => up.billedUsd() > 0.05, 8_000, 'the agent to spend $0.05');
    fs.writeFileSync(file, 'maxUsd: 0.05\n');
    const run = await running;
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`capped: policy reloaded from ${file}: max $0.05`);
    expect(atReload).not.toBeNull();
    // Only a request admitted before the reload could still reach the upstream after it.
    expect(up.bill.requests.length).toBeLessThanOrEqual(atReload! + 1);
    expect(run.stderr).toMatch(/refused: this run's spending cap of \$0\.05 is reached/);
    const last = outcomesOf(run.steps)
      .filter((s) => s.kind === 'request')
      .at(-1)!;
    expect(last.status).toBe(402);
    expect(last.error?.message).toMatch(/spending cap of \$0\.05 is reached/);
    const record = run.record!;
    expect(record.hardStop?.reason).toBe('usd');
    expect(record.exitCode).toBe(3);
    expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
  });

  it('an invalid edit is a warning and the old policy stays; a later valid edit still applies', async () => {
    const { dir, file } = repo('maxUsd: 5\n');
    upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 100 }) });
    const [paused, resume, pausedAgain, resumeAgain] = ['paused', 'resume', 'paused-again', 'resume-again'].map((name) => path.join(dir, name));
    const running = runAnthropicAgent(
      [],
      [
        { model: SONNET },
        { touch: paused! },
        { waitFor: resume! },
        { model: SONNET },
        { model: SONNET },
        { touch: pausedAgain! },
        { waitFor: resumeAgain! },
        { model: SONNET },
      ],
      {
        cwd: dir,
        env: { ANTHROPIC_BASE_URL: upstream.url },
        onStderr: (all) => {
          if (all.includes('keeping the policy in force')) fs.writeFileSync(resume!, '');
          if (all.includes('policy reloaded')) fs.writeFileSync(resumeAgain!, '');
        },
      },
    );
    await until(() => fs.existsSync(paused!), 8_000, 'the agent to pause');
    // A typo that would lower the cap: rejected, so the run goes on at $5.
    fs.writeFileSync(file, 'maxUSD: 0.0001\n');
    await until(() => fs.existsSync(pausedAgain!), 8_000, 'the agent to go on after the invalid edit');
    fs.writeFileSync(file, 'maxUsd: 0.0001\n');
    const run = await running;
    expect(run.stderr).toContain('capped: warning: .budgetrc:1:1: unknown key "maxUSD" — did you mean "maxUsd"? (keeping the policy in force)');
    expect(outcomesOf(run.steps).map((s) => s.status)).toEqual([200, 200, 200, 402]);
    expect(upstream.bill.requests).toHaveLength(3);
    expect(run.code, run.stderr).toBe(3);
    expect(run.record!.hardStop?.reason).toBe('usd');
    expect(run.record!.budget.usd).toBe(5);
  });

  it('an edit that restricts a tool applies to the next request', async () => {
    const { dir, file } = repo('maxUsd: 5\n');
    upstream = await startScriptedAnthropic();
    const [paused, resume] = ['paused', 'resume'].map((name) => path.join(dir, name));
    const tools = ['Bash', 'WebFetch', 'Edit'];
    const running = runAnthropicAgent([], [{ model: SONNET, tools }, { touch: paused! }, { waitFor: resume! }, { model: SONNET, tools }], {
      cwd: dir,
      env: { ANTHROPIC_BASE_URL: upstream.url },
      onStderr: (all) => {
        if (all.includes('policy reloaded')) fs.writeFileSync(resume!, '');
      },
    });
    await until(() => fs.existsSync(paused!), 8_000, 'the agent to pause');
    fs.writeFileSync(file, 'maxUsd: 5\nrestrictedTools: [WebFetch]\n');
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(upstream.bill.requests.map((r) => r.tools)).toEqual([tools, ['Bash', 'Edit']]);
    expect(run.stderr).toContain('capped: restricted tools removed from the request: WebFetch');
  });

  // A raise by reload is recorded: it counts as asking for more, the budget stays the one the run
  // started with, and the record says the run went beyond it.
  it('a cap raised by an edit: the record does not claim the run stayed within its initial budget', async () => {
    const { dir, file } = repo('maxUsd: 0.02\n');
    upstream = await startScriptedAnthropic({ reply: () => ({ outputTokens: 400 }) });
    const [paused, resume] = ['paused', 'resume'].map((name) => path.join(dir, name));
    const running = runAnthropicAgent(
      [],
      [{ model: SONNET }, { touch: paused! }, { waitFor: resume! }, { model: SONNET }, { model: SONNET }, { model: SONNET }],
      {
        cwd: dir,
        env: { ANTHROPIC_BASE_URL: upstream.url },
        onStderr: (all) => {
          if (all.includes('policy reloaded')) fs.writeFileSync(resume!, '');
        },
      },
    );
    await until(() => fs.existsSync(paused!), 8_000, 'the agent to pause');
    fs.writeFileSync(file, 'maxUsd: 5\n');
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const record = run.record!;
    expect(record.spent.usd).toBeGreaterThan(0.02);
    expect(record.exceededInitialBudget || record.spent.usd <= record.budget.usd!).toBe(true);
  });
});
