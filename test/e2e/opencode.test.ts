import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAgent, type AgentRun, expectMeteredAndStopped, type Gateway, useToolLoopGateway } from './helpers/agent-settings.js';
import { ROOT } from './helpers/run-capped.js';

// The real opencode CLI from npm (opencode-ai 1.18, a native binary), non-interactive
// (`opencode run`), against the scripted OpenAI upstream on loopback (opencode's openai provider
// uses the Responses API). The fake stands for the user's own gateway, named by OPENAI_BASE_URL or
// by provider.openai.options.baseURL in the project's opencode.json; opencode has no base-URL flag.
// capped gives opencode its proxy through OPENCODE_CONFIG_CONTENT (merged over every file).
const OPENCODE = path.join(ROOT, 'node_modules/.bin/opencode');
const KEY = 'sk-test-opencode-e2e';
const CAP = 0.1;
/** No update check, model list download, sharing or LSP download: the test stays on loopback. */
const QUIET = { OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_SHARE: '1', OPENCODE_DISABLE_LSP_DOWNLOAD: '1' };

const gateway = useToolLoopGateway();

const command = [OPENCODE, 'run', 'Run `echo hi` in the shell.', '-m', 'openai/gpt-4.1'];

const expectStopped = (run: AgentRun, up: Gateway): void =>
  expectMeteredAndStopped(run, up, { cap: CAP, path: '/v1/responses', keyed: (h) => h.authorization === `Bearer ${KEY}`, model: 'gpt-4.1' });

// opencode's native binary starts slowly on a shared 2-core machine (15-40 s to its first request, more when the machine is busy).
describe('opencode under capped run', { timeout: 300_000 }, () => {
  it('with its base URL in OPENAI_BASE_URL: metered exactly and stopped at the cap', async () => {
    const up = await gateway();
    const run = await runAgent(['--max-usd', String(CAP)], command, { ...QUIET, OPENAI_API_KEY: KEY, OPENAI_BASE_URL: up.baseUrl });
    expectStopped(run, up);
  });

  it("with its base URL in the project's opencode.json: the gateway is kept as upstream, metered and stopped", async () => {
    const up = await gateway();
    const run = await runAgent(['--max-usd', String(CAP)], command, { ...QUIET, OPENAI_API_KEY: KEY }, ({ work }) => ({
      [path.join(work, 'opencode.json')]: { provider: { openai: { options: { baseURL: up.baseUrl } } } },
    }));
    expectStopped(run, up);
  });

  it('refuses to start when the chosen model is on a provider capped cannot meter', async () => {
    const run = await runAgent(['--max-usd', String(CAP)], [OPENCODE, 'run', 'hi', '-m', 'bedrock/some-model'], QUIET);
    expect(run.result.code, run.output).toBe(2);
    expect(run.output).toContain('opencode would use model "bedrock/some-model" (-m) from provider "bedrock"');
  });
});
