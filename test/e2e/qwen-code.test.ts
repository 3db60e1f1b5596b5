import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAgent, type AgentRun, expectMeteredAndStopped, type Gateway, useToolLoopGateway } from './helpers/agent-settings.js';
import { ROOT } from './helpers/run-capped.js';

// The real qwen-code CLI from npm (@qwen-code/qwen-code 0.15, the last release that runs on
// Node 20), non-interactive (`-p`, `--yolo`), against the scripted OpenAI upstream on loopback.
// The fake stands for the user's own gateway, named by each of the three places qwen-code reads a
// base URL from: OPENAI_BASE_URL, its --openai-base-url flag (which outranks the variable), and
// modelProviders[].baseUrl in the project's .qwen/settings.json (which outranks both).
const QWEN = path.join(ROOT, 'node_modules/.bin/qwen');
const KEY = 'sk-test-qwen-e2e';
const CAP = 0.1;

const gateway = useToolLoopGateway();

function qwen(...extra: string[]): string[] {
  return [QWEN, '-p', 'Run `echo hi` in the shell.', '--yolo', ...extra];
}

/** Metered exactly (capped's record is the gateway's bill) and stopped at the cap. */
const expectStopped = (run: AgentRun, up: Gateway): void =>
  expectMeteredAndStopped(run, up, { cap: CAP, path: '/v1/chat/completions', keyed: (h) => h.authorization === `Bearer ${KEY}` });

describe('qwen-code under capped run', { timeout: 150_000 }, () => {
  it('with its base URL in OPENAI_BASE_URL: metered exactly and stopped at the cap', async () => {
    const up = await gateway();
    const run = await runAgent(['--max-usd', String(CAP)], qwen('--auth-type', 'openai', '--model', 'gpt-4.1'), {
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: up.baseUrl,
    });
    expectStopped(run, up);
  });

  it('with its base URL on its own --openai-base-url flag: the flag is rewritten, the gateway gets the traffic through capped', async () => {
    const up = await gateway();
    const run = await runAgent(['--max-usd', String(CAP)], qwen('--auth-type', 'openai', '--openai-base-url', up.baseUrl, '--model', 'gpt-4.1'), {
      OPENAI_API_KEY: KEY,
    });
    expectStopped(run, up);
  });

  it('with its base URL in modelProviders of .qwen/settings.json: rewritten by a system settings file, metered and stopped', async () => {
    const up = await gateway();
    const run = await runAgent(['--max-usd', String(CAP)], qwen(), { OPENAI_API_KEY: KEY }, ({ work }) => ({
      [path.join(work, '.qwen', 'settings.json')]: {
        modelProviders: { openai: [{ id: 'gpt-4.1', name: 'gateway', baseUrl: up.baseUrl, envKey: 'OPENAI_API_KEY' }] },
        security: { auth: { selectedType: 'openai' } },
        model: { name: 'gpt-4.1' },
      },
    }));
    expectStopped(run, up);
  });

  it('refuses to start when qwen-code would sign in with Qwen OAuth (traffic capped cannot see)', async () => {
    const run = await runAgent(['--max-usd', String(CAP)], qwen('--auth-type', 'qwen-oauth'), {});
    expect(run.result.code, run.output).toBe(2);
    expect(run.output).toContain('qwen-code is set to use Qwen OAuth (--auth-type)');
  });
});
