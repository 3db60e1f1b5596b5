import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/ledger/run-record.js';
import { countFunctionResponses, startFakeGemini, type FakeGemini, type FakeGeminiOptions } from '../fixtures/fake-gemini.mjs';
import { ROOT, runCapped } from './helpers/run-capped.js';

// The real Gemini CLI from npm (@google/gemini-cli), non-interactive (`-p`), against the scripted
// Gemini API on loopback. Gemini CLI 0.61 sends POST
// /v1beta/models/{model}:streamGenerateContent?alt=sse with `x-goog-api-key`, and with `--model`
// set it makes no other call (no countTokens, no model listing, no routing classifier).
const GEMINI = path.join(ROOT, 'node_modules/.bin/gemini');
const API_KEY = 'gemini-e2e-test-key';
const MODEL = 'gemini-2.5-flash';
const STREAM_URL = `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`;

/**
 * ~/.gemini/settings.json as the CLI's own auth dialog leaves it for a Gemini API key user, plus
 * no usage statistics (Clearcut) and no update checks: the test never leaves loopback.
 */
const API_KEY_SETTINGS = {
  security: { auth: { selectedType: 'gemini-api-key' } },
  privacy: { usageStatisticsEnabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  telemetry: { enabled: false },
};

interface GeminiRun {
  code: number | null;
  stdout: string;
  stderr: string;
  record: RunRecord | null;
  ms: number;
}

let upstream: FakeGemini | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await upstream?.close();
  upstream = null;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * `capped run <cappedArgs> -- gemini -p ... --yolo --model gemini-2.5-flash`, like a CI job: no
 * TTY, stdin closed. Gemini gets its own HOME (its ~/.gemini), an empty working directory (the
 * directory listing it sends and where its shell tool runs) and TMPDIR (its error reports).
 * GOOGLE_GEMINI_BASE_URL names the fake: capped takes it as the upstream and gives Gemini CLI
 * its own proxy URL instead.
 */
async function cappedGemini(fake: FakeGemini, cappedArgs: string[], settings: object | null = API_KEY_SETTINGS): Promise<GeminiRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-gemini-home-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-gemini-work-'));
  dirs.push(home, work);
  const tmp = path.join(home, 'tmp');
  fs.mkdirSync(tmp);
  fs.mkdirSync(path.join(home, '.gemini'));
  if (settings) fs.writeFileSync(path.join(home, '.gemini', 'settings.json'), JSON.stringify(settings));
  const run = await runCapped(['run', ...cappedArgs, '--', GEMINI, '-p', 'Run `echo hi` in the shell, then say done.', '--yolo', '--model', MODEL], {
    cwd: work,
    env: {
      HOME: home,
      CAPPED_HOME: home,
      TMPDIR: tmp,
      GEMINI_API_KEY: API_KEY,
      GOOGLE_GEMINI_BASE_URL: fake.url,
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    },
  });
  return { code: run.code, stdout: run.stdout, stderr: run.stderr, record: run.record, ms: run.ms };
}

async function withFake(options: FakeGeminiOptions): Promise<FakeGemini> {
  upstream = await startFakeGemini(options);
  return upstream;
}

/** Lines capped printed for requests it refused (each refused attempt prints one). */
const refusals = (stderr: string): number => stderr.match(/^capped: refused: /gm)?.length ?? 0;

/** Gemini CLI's retryWithBackoff announces every retry of a failed request on stderr. */
const RETRY_NOTICE = /Attempt \d+ failed|Retrying with backoff/;

describe('Gemini CLI under capped run', () => {
  it('is redirected through the proxy, runs its tools, and is metered exactly', async () => {
    const fake = await withFake({ toolLoop: 3, thoughtsTokens: 250, cachedTokens: 2048, chunkDelayMs: 5 });
    const run = await cappedGemini(fake, ['--max-usd', '5']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/· Gemini CLI: /);
    expect(run.stdout).toContain('All done.');

    // Every call reached the fake through capped, as a streamed generate request with the key.
    const received = fake.bill.received;
    expect(received.length).toBe(4);
    for (const r of received) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe(STREAM_URL);
      expect(r.headers['x-goog-api-key']).toBe(API_KEY);
    }
    // Gemini CLI really ran the shell tool each time and sent its output back.
    const last = JSON.parse(received[3]!.body) as { contents: { parts: { functionResponse?: { name: string; response: { output?: string } } }[] }[] };
    expect(countFunctionResponses(last)).toBe(3);
    const outputs = last.contents.flatMap((c) => c.parts).flatMap((p) => (p.functionResponse ? [p.functionResponse] : []));
    for (const response of outputs) {
      expect(response.name).toBe('run_shell_command');
      expect(response.response.output).toContain('Output: hi');
    }

    const record = run.record!;
    const billed = fake.bill.requests;
    expect(record.spent.usd).toBeCloseTo(fake.billedUsd(), 9);
    expect(record.spent.requests).toBe(billed.length);
    expect(record.spent.actions).toBe(billed.filter((r) => r.toolCall).length);
    expect(record.spent.actions).toBe(3);
    expect(record.spent.inputTokens).toBe(billed.reduce((n, r) => n + r.usage.input, 0));
    expect(record.spent.cacheReadTokens).toBe(billed.reduce((n, r) => n + r.usage.cacheRead, 0));
    expect(record.spent.outputTokens).toBe(billed.reduce((n, r) => n + r.usage.output + r.usage.thoughts, 0));
    expect(Object.keys(record.models)).toEqual([MODEL]);
    expect(record.hardStop).toBeNull();
    expect(record.estimated).toBe(false);
    expect(record.exitCode).toBe(0);
  });

  it('is stopped at the dollar cap: shows the refusal, does not retry it, exit 3', async () => {
    const cap = 0.01;
    // Each request costs about $0.0035 (a ~47 KB body: system prompt, 16 tool declarations);
    // the task would take 11 requests, the cap pays for 2.
    const fake = await withFake({ toolLoop: 10, thoughtsTokens: 300, cachedTokens: 4000 });
    const run = await cappedGemini(fake, ['--max-usd', String(cap)]);
    expect(run.code, run.stderr).toBe(3);
    const record = run.record!;
    expect(record.hardStop?.reason).toBe('usd');
    expect(record.exitCode).toBe(3);
    expect(fake.billedUsd()).toBeLessThanOrEqual(cap);
    expect(record.spent.usd).toBeCloseTo(fake.billedUsd(), 9);
    expect(fake.bill.requests.length).toBeGreaterThan(0);
    expect(fake.bill.requests.length).toBeLessThan(11);
    // Only requests capped admitted reached the upstream (besides its free exact counts, asked for
    // when the estimate would stop the run).
    const counts = fake.bill.received.filter((r) => r.url.includes(':countTokens')).length;
    expect(record.reservation?.countCalls).toBe(counts);
    expect(fake.bill.received.length - counts).toBe(record.spent.requests);
    expect(record.spent.requests).toBe(fake.bill.requests.length);
    // Gemini CLI printed the refusal it received (its own error report, the message inside)...
    expect(run.stderr).toMatch(/Error when talking to Gemini API[^\n]*"code":400,"message":"capped: this run's spending cap of \$0\.01 is reached/);
    expect(run.stderr).toMatch(/To allow more, start the run again with a higher --max-usd/);
    // ...and gave up on it: one refused attempt, no retry announced.
    expect(refusals(run.stderr)).toBe(1);
    expect(run.stderr).not.toMatch(RETRY_NOTICE);
  });

  it('is stopped at the tool action cap: the extra tool call is withheld, exit 3', async () => {
    const fake = await withFake({ toolLoop: 3 });
    const run = await cappedGemini(fake, ['--max-usd', '5', '--max-actions', '1']);
    expect(run.code, run.stderr).toBe(3);
    const record = run.record!;
    expect(record.hardStop?.reason).toBe('actions');
    expect(record.spent.actions).toBe(1);
    // The first call ran; the answer to its result asked for a second one, which never reached
    // Gemini CLI: it made no third request.
    expect(fake.bill.requests.map((r) => [r.functionResponses, r.toolCall])).toEqual([
      [0, true],
      [1, true],
    ]);
    expect(record.spent.requests).toBe(2);
    expect(record.spent.usd).toBeCloseTo(fake.billedUsd(), 9);
    expect(run.stderr).toMatch(/Error when talking to Gemini API[^\n]*"message":"capped: this run's cap of 1 tool actions is reached/);
    expect(refusals(run.stderr)).toBe(1);
    expect(run.stderr).not.toMatch(RETRY_NOTICE);
  });

  it('counts thinking as output and holds the cap when a clamped answer thinks to its ceiling', async () => {
    const cap = 0.05;
    // 6,000 thinking tokens per answer ($0.015): capped lowers maxOutputTokens (and the thinking
    // budget with it) as the budget runs out, until a request no longer fits.
    const fake = await withFake({ toolLoop: 10, thoughtsTokens: 6000 });
    const run = await cappedGemini(fake, ['--max-usd', String(cap)]);
    const record = run.record!;
    const billed = fake.bill.requests;
    // The last answer was clamped below the thinking the model wanted, so it asked for no tool
    // and Gemini CLI ended by itself, the cap all but spent (before capped priced cache reads and
    // learned the output ratio, a seventh request was refused at the cap instead).
    expect(run.code, run.stderr).toBe(0);
    expect(record.hardStop).toBeNull();
    expect(billed.at(-1)!.maxOutputTokens).toBeLessThan(6000);
    expect(refusals(run.stderr)).toBe(0);
    expect(fake.billedUsd()).toBeLessThanOrEqual(cap);
    expect(fake.billedUsd()).toBeGreaterThan(cap * 0.9);
    expect(record.spent.usd).toBeCloseTo(fake.billedUsd(), 9);
    expect(record.spent.outputTokens).toBe(billed.reduce((n, r) => n + r.usage.output + r.usage.thoughts, 0));
    expect(billed.some((r) => r.maxOutputTokens !== null)).toBe(true);
    for (const r of billed) if (r.maxOutputTokens !== null) expect(r.usage.thoughts + r.usage.output).toBeLessThanOrEqual(r.maxOutputTokens);
    expect(run.stderr).not.toMatch(RETRY_NOTICE);
  });
});

describe('Gemini CLI sign-in under capped run', () => {
  // Gemini CLI 0.61 picks its auth type from the environment when settings name none
  // (getAuthTypeFromEnv, packages/core/src/core/contentGenerator.ts): GOOGLE_GEMINI_BASE_URL set
  // means "gateway", which non-interactive auth validation rejects
  // (packages/cli/src/config/auth.ts validateAuthMethod: "Invalid auth method selected.", exit 41).
  // capped cannot change that without editing the user's settings, so it says so before launch.
  it('warns before launch when settings name no API-key sign-in', async () => {
    const fake = await withFake({ toolLoop: 1 });
    const run = await cappedGemini(fake, ['--max-usd', '5'], { privacy: { usageStatisticsEnabled: false } });
    expect(run.stderr).toContain('capped: note: Gemini CLI treats a custom base URL as "gateway" sign-in');
    expect(run.stderr).toContain('"selectedType": "gemini-api-key"');
  });

  it('refuses to start Gemini CLI set to Login with Google, whose traffic it could not meter', async () => {
    const fake = await withFake({ toolLoop: 1 });
    const run = await cappedGemini(fake, ['--max-usd', '5'], { security: { auth: { selectedType: 'oauth-personal' } } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Gemini CLI is set to sign in with Login with Google');
    expect(run.record).toBeNull();
    expect(fake.bill.received).toHaveLength(0);
  });

  // Gemini sends a tool call, finishReason and the final usageMetadata in one chunk: when the
  // actions cap withholds that chunk, the usage already read is still exact.
  it('keeps the exact usage of a response whose tool call was withheld', async () => {
    const fake = await withFake({ toolLoop: 3 });
    const run = await cappedGemini(fake, ['--max-usd', '5', '--max-actions', '1']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.record!.estimated).toBe(false);
    expect(run.record!.spent.usd).toBeCloseTo(fake.billedUsd(), 9);
  });

  // A model that thinks to its whole budget would have no room left for an answer (MAX_TOKENS
  // with no text, which Gemini CLI retries): the clamp keeps the thinking budget below it.
  it('leaves room for an answer when it lowers the thinking budget', async () => {
    const fake = await withFake({ toolLoop: 10, thoughtsTokens: 6000 });
    const run = await cappedGemini(fake, ['--max-usd', '0.05']);
    // Ended by itself once a clamped answer left no room for a tool call (as in the test above).
    expect(run.code, run.stderr).toBe(0);
    expect(fake.billedUsd()).toBeLessThanOrEqual(0.05);
    const clamped = fake.bill.requests.filter((r) => r.maxOutputTokens !== null && r.thinkingBudget !== null);
    expect(clamped.length).toBeGreaterThan(0);
    for (const r of clamped) expect(r.thinkingBudget!).toBeLessThan(r.maxOutputTokens!);
  });
});
