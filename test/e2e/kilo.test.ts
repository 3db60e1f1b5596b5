import path from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { removeAgentDirs, runAgent, type AgentRun, expectMeteredAndStopped, type Gateway } from './helpers/agent-settings.js';
import { ROOT } from './helpers/run-capped.js';

// The real Kilo Code CLI from npm (@kilocode/cli 7.7.7, a native binary forked from opencode),
// non-interactive (`kilo run`), with Anthropic, against the scripted Anthropic upstream on
// loopback. Kilo's AI-SDK Anthropic provider posts to `<base>/messages`, its base URL ending in
// `/v1`: capped must neither refuse that path nor chain the `/v1` twice. The fake stands for the
// user's gateway, named by ANTHROPIC_BASE_URL or by provider.anthropic.options.baseURL in the
// project's kilo.json; capped gives kilo its proxy through KILO_CONFIG_CONTENT.
const KILO = path.join(ROOT, 'node_modules/.bin/kilo');
const KEY = 'sk-ant-test-kilo-e2e';
const CAP = 0.1;
// No update check, model list download, sharing, presence, indexing or LSP download: loopback only.
const QUIET = {
  KILO_DISABLE_AUTOUPDATE: '1',
  KILO_DISABLE_MODELS_FETCH: '1',
  KILO_DISABLE_SHARE: '1',
  KILO_DISABLE_SESSION_INGEST: '1',
  KILO_DISABLE_PRESENCE: '1',
  KILO_DISABLE_CODEBASE_INDEXING: '1',
  KILO_DISABLE_LSP_DOWNLOAD: '1',
};

let upstream: FakeAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
  removeAgentDirs();
});

/** Every answer asks for another tool call: only the cap stops it. */
async function gateway(): Promise<FakeAnthropic> {
  upstream = await startFakeAnthropic({ toolCalls: 1 });
  return upstream;
}

const command = [KILO, 'run', 'Run `echo hi` in the shell.', '-m', 'anthropic/claude-sonnet-4-5'];

const expectStopped = (run: AgentRun, up: Gateway): void =>
  expectMeteredAndStopped(run, up, { cap: CAP, path: '/v1/messages', keyed: (h) => h['x-api-key'] === KEY });

// kilo's native binary starts slowly on a shared 2-core machine (15-40 s to its first request, more when the machine is busy).
describe('kilo under capped run', { timeout: 300_000 }, () => {
  it('with its base URL in ANTHROPIC_BASE_URL (ending in /v1, AI-SDK style): metered exactly and stopped', async () => {
    const up = await gateway();
    const run = await runAgent(['--max-usd', String(CAP)], command, { ...QUIET, ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: `${up.url}/v1` });
    expectStopped(run, up);
  });

  it("with its base URL in the project's kilo.json: the gateway is kept as upstream, metered and stopped", async () => {
    const up = await gateway();
    const run = await runAgent(['--max-usd', String(CAP)], command, { ...QUIET, ANTHROPIC_API_KEY: KEY }, ({ work }) => ({
      [path.join(work, 'kilo.json')]: { provider: { anthropic: { options: { baseURL: `${up.url}/v1` } } } },
    }));
    expectStopped(run, up);
  });
});
