import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import type { ScriptedAnthropic, ScriptedReply } from '../fixtures/policy-upstream.mjs';
import { BIN, fixture, ROOT, runCapped } from './helpers/run-capped.js';
import { NODE, quote, removeDirs, Tmux, waitFor } from './helpers/tmux.js';

/**
 * The runaway-pattern guards end to end. The retry loop with the real Claude Code CLI: the
 * scripted upstream keeps asking it to run `npm run build`, which really runs (Claude Code's Bash
 * tool) and fails the same way each time; its error comes back in a tool_result.
 */
const CLAUDE = path.join(ROOT, 'node_modules/.bin/claude');
const TS_ERROR = "src/app.ts(1,7): error TS2304: Cannot find name 'foo'.";

let up: ScriptedAnthropic | FakeAnthropic | null = null;
let tmux: Tmux | null = null;
const dirs: string[] = [];
afterEach(async () => {
  tmux?.kill();
  tmux = null;
  await up?.close();
  up = null;
  removeDirs(dirs.splice(0));
});

/** A project whose `npm run build` fails with a type error (or passes), logging each attempt. */
function project(fails: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-guards-'));
  dirs.push(dir);
  const script = fails
    ? `require('fs').appendFileSync('attempts.log', 'build\\n'); console.error(${JSON.stringify(TS_ERROR)}); process.exit(2);`
    : `require('fs').appendFileSync('attempts.log', 'test\\n'); console.log('Tests  12 passed (12)');`;
  fs.writeFileSync(path.join(dir, 'build.js'), script);
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true, scripts: { build: 'node build.js', test: 'node build.js' } }),
  );
  return dir;
}

const attempts = (dir: string): number =>
  fs.existsSync(path.join(dir, 'attempts.log')) ? fs.readFileSync(path.join(dir, 'attempts.log'), 'utf8').trim().split('\n').length : 0;

const toolResults = (body: Record<string, unknown> | null): number =>
  ((body?.messages as { content: unknown }[] | undefined) ?? [])
    .flatMap((m) => (Array.isArray(m.content) ? (m.content as { type?: string }[]) : []))
    .filter((b) => b.type === 'tool_result').length;

/** Every main-loop request asks for `command` again until `calls` results came back; then it is done. */
const keepRunning =
  (command: string, calls: number) =>
  (body: Record<string, unknown>): ScriptedReply => {
    const tools = (body.tools as { name?: string }[] | undefined) ?? [];
    if (!tools.some((t) => t.name === 'Bash') || toolResults(body) >= calls) return { blocks: [{ type: 'text', text: 'done' }], outputTokens: 30 };
    return { blocks: [{ type: 'tool_use', name: 'Bash', input: { command, description: 'run it' } }], outputTokens: 200 };
  };

const claudeEnv = (url: string, home: string): Record<string, string> => ({
  ANTHROPIC_BASE_URL: url,
  ANTHROPIC_API_KEY: 'sk-ant-e2e-test',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  HOME: home,
  CAPPED_HOME: home,
});

async function scripted(command: string, calls: number): Promise<ScriptedAnthropic> {
  const { startScriptedAnthropic } = await import('../fixtures/policy-upstream.mjs');
  const started = await startScriptedAnthropic({ reply: keepRunning(command, calls) });
  up = started;
  return started;
}

const CLAUDE_ARGS = ['-p', 'make the build pass', '--model', 'claude-sonnet-4-5', '--allowedTools', 'Bash'];

describe('the retry-loop guard with the real Claude Code', () => {
  it('without a terminal: stops the run at the third failing build (exit 3, reason loop, why in words)', async () => {
    const dir = project(true);
    const upstream = await scripted('npm run build', 40);
    const result = await runCapped(['run', '--max-usd', '5', '--', CLAUDE, ...CLAUDE_ARGS], {
      cwd: dir,
      env: claudeEnv(upstream.url, dir),
      timeoutMs: 120_000,
    });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(3);
    expect(attempts(dir)).toBe(3);
    // The request carrying the third failure was refused: the upstream never saw more than two results.
    expect(Math.max(...upstream.bill.received.map((r) => toolResults(r.body)))).toBe(2);
    const record = result.record!;
    expect(record.hardStop).toMatchObject({ reason: 'loop', detail: `the same failing step \`npm run build\` ran 3 times: ${TS_ERROR}` });
    expect(record.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
    expect(output).toContain(`capped: stopped: the same failing step \`npm run build\` ran 3 times: ${TS_ERROR}`);
    expect(output).toContain('refused: the same failing step `npm run build` ran 3 times in a row');
  }, 150_000);

  it('finds no loop in a passing command run again and again', async () => {
    const dir = project(false);
    const upstream = await scripted('npm test', 5);
    const result = await runCapped(['run', '--max-usd', '5', '--', CLAUDE, ...CLAUDE_ARGS], {
      cwd: dir,
      env: claudeEnv(upstream.url, dir),
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(attempts(dir)).toBe(5);
    expect(result.record!.hardStop).toBeNull();
  }, 150_000);

  it('at a terminal: pauses Claude Code with the question on the bar row; continue asks again 3 failures later, stop ends the run', async () => {
    const dir = project(true);
    const upstream = await scripted('npm run build', 40);
    tmux = new Tmux();
    const record = path.join(dir, 'record.json');
    const env = Object.entries(claudeEnv(upstream.url, dir))
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const cmd = [NODE, BIN, 'run', '--record', record, '--max-usd', '5', '--idle', 'off', '--', CLAUDE, ...CLAUDE_ARGS].map(quote).join(' ');
    tmux.start(`cd ${quote(dir)} && env ${env} ${cmd}; echo "CAPPED EXITED $?"; sleep 600`);
    // Wide enough for the whole error line on the bar row (a narrower one cuts the error first).
    tmux.tmux('resize-window', '-x', '160', '-y', '30');
    const screen = (): string => tmux!.screen().join('\n');
    await waitFor('the loop question', () => tmux!.lastRow().startsWith('Retry loop: `npm run build` failed 3 times in a row.'), 90_000, screen);
    expect(tmux.lastRow()).toContain(TS_ERROR);
    expect(tmux.lastRow()).toContain('continue (c) or stop (s)?');
    expect(attempts(dir)).toBe(3);
    tmux.tmux('send-keys', 'c');
    await waitFor('the next question', () => tmux!.lastRow().startsWith('Retry loop: `npm run build` failed 6 times in a row.'), 90_000, screen);
    expect(attempts(dir)).toBe(6);
    tmux.tmux('send-keys', 's');
    await waitFor('capped to exit', () => screen().includes('CAPPED EXITED 3'), 30_000, screen);
    expect(attempts(dir)).toBe(6);
    const rec = JSON.parse(fs.readFileSync(record, 'utf8')) as { hardStop: { reason: string }; approvals: { kind: string; answer: string }[] };
    expect(rec.hardStop.reason).toBe('loop');
    expect(rec.approvals.map((a) => [a.kind, a.answer])).toEqual([
      ['loop', 'approved'],
      ['loop', 'denied'],
    ]);
    // The summary says why (its box wraps the line).
    expect(screen()).toMatch(/hard stop +stopped: the same failing step `npm run build` ran 6\s/);
  }, 150_000);
});

describe('the scope guard', () => {
  it('stops an agent that reads past scope.files (reason scope); a file read twice counts once', async () => {
    up = await startFakeAnthropic({ outputTokens: () => 20 });
    const result = await runCapped(['run', '--max-usd', '5', '--scope-files', '5', '--', NODE, fixture('reading-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: up.url, FAKE_FILES: '10' },
    });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(3);
    expect(result.record!.hardStop).toMatchObject({ reason: 'scope', detail: 'the agent read 6 files, past the scope limit of 5' });
    // Five requests (1…5 files read) went through; the sixth was refused.
    expect(up.bill.requests).toHaveLength(5);
    expect(output).toContain('capped: stopped: the agent read 6 files, past the scope limit of 5');
  });

  it('lets the same agent finish with the scope off (the default)', async () => {
    up = await startFakeAnthropic({ outputTokens: () => 20 });
    const result = await runCapped(['run', '--max-usd', '5', '--', NODE, fixture('reading-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: up.url, FAKE_FILES: '10' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(up.bill.requests).toHaveLength(10);
  });
});
