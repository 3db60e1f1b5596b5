import { describe, expect, it } from 'vitest';
import { SettingRefusal } from '../../../../src/supervisor/agent-recipes.js';
import { QWEN } from '../../../../src/supervisor/recipes/qwen.js';
import { at, fakeContext } from './fake-context.js';

const GW = 'https://gw.example/v1';

describe('qwen-code recipe', () => {
  it('with nothing set, points every variable qwen-code reads at capped', () => {
    const plan = QWEN.plan(fakeContext(['qwen', '-p', 'x']));
    expect(plan.routes).toEqual([]);
    expect(plan.launch(at(0))).toEqual({
      argv: ['qwen', '-p', 'x'],
      env: { OPENAI_BASE_URL: 'http://p/openai', ANTHROPIC_BASE_URL: 'http://p/anthropic', GOOGLE_GEMINI_BASE_URL: 'http://p/gemini' },
      files: {},
    });
  });

  it.each([
    [
      ['qwen', '--openai-base-url', GW, '-p', 'x'],
      ['qwen', '--openai-base-url', 'http://p/route-0', '-p', 'x'],
    ],
    [
      ['qwen', `--openai-base-url=${GW}`],
      ['qwen', '--openai-base-url=http://p/route-0'],
    ],
  ])('takes --openai-base-url as the upstream and rewrites the flag: %j', (command, rewritten) => {
    const plan = QWEN.plan(fakeContext(command));
    expect(plan.routes).toEqual([{ family: 'openai', upstream: GW, from: '--openai-base-url' }]);
    expect(plan.launch(at(1)).argv).toEqual(rewritten);
  });

  it('gives the flag the wire format of the selected auth type', () => {
    const plan = QWEN.plan(fakeContext(['qwen', '--auth-type', 'anthropic', '--openai-base-url', 'https://claude-gw.example']));
    expect(plan.routes[0]).toMatchObject({ family: 'anthropic', upstream: 'https://claude-gw.example' });
  });

  it('rewrites modelProviders base URLs (workspace over user, per auth type) in a system settings file', () => {
    const files = {
      '/home/u/.qwen/settings.json': {
        modelProviders: { openai: [{ id: 'user-model', baseUrl: 'https://user.example/v1' }], anthropic: [{ id: 'c', baseUrl: 'https://a.example' }] },
      },
      // Comments and trailing commas, as qwen-code's own files may have them.
      '/work/proj/.qwen/settings.json': `{
        // the team's gateway
        "modelProviders": { "openai": [ { "id": "gpt-4.1", "baseUrl": "${GW}", "envKey": "GW_KEY" }, { "id": "local" }, ] },
        "security": { "auth": { "selectedType": "openai" } },
      }`,
    };
    const plan = QWEN.plan(fakeContext(['qwen'], { files }));
    expect(plan.routes).toEqual([
      { family: 'openai', upstream: GW, from: 'modelProviders.openai[0].baseUrl in /work/proj/.qwen/settings.json' },
      { family: 'anthropic', upstream: 'https://a.example', from: 'modelProviders.anthropic[0].baseUrl in /home/u/.qwen/settings.json' },
    ]);
    const launch = plan.launch(at(2));
    expect(launch.env.QWEN_CODE_SYSTEM_SETTINGS_PATH).toBe('/run/qwen-system-settings.json');
    // Moving the system settings must not move where its system defaults are found.
    expect(launch.env.QWEN_CODE_SYSTEM_DEFAULTS_PATH).toBe('/etc/qwen-code/system-defaults.json');
    expect(JSON.parse(launch.files['/run/qwen-system-settings.json']!)).toEqual({
      modelProviders: {
        openai: [{ id: 'gpt-4.1', baseUrl: 'http://p/route-0', envKey: 'GW_KEY' }, { id: 'local' }],
        anthropic: [{ id: 'c', baseUrl: 'http://p/route-1' }],
      },
    });
  });

  it("keeps the user's own system settings and rewrites security.auth.baseUrl there", () => {
    const files = {
      '/etc/qwen-code/settings.json': { general: { vimMode: true } },
      '/home/u/.qwen/settings.json': { security: { auth: { selectedType: 'openai', baseUrl: GW } } },
    };
    const plan = QWEN.plan(fakeContext(['qwen'], { files }));
    expect(plan.routes).toEqual([{ family: 'openai', upstream: GW, from: 'security.auth.baseUrl in /home/u/.qwen/settings.json' }]);
    const launch = plan.launch(at(1));
    expect(JSON.parse(launch.files['/run/qwen-system-settings.json']!)).toEqual({
      general: { vimMode: true },
      modelProviders: {},
      security: { auth: { baseUrl: 'http://p/route-0' } },
    });
  });

  it("takes a base URL from the settings' env block when the variable itself is not set", () => {
    const files = { '/home/u/.qwen/settings.json': { env: { OPENAI_BASE_URL: GW } } };
    const plan = QWEN.plan(fakeContext(['qwen'], { files }));
    expect(plan.routes).toEqual([{ family: 'openai', upstream: GW, from: 'env.OPENAI_BASE_URL in qwen-code settings' }]);
    expect(plan.launch(at(1)).env.OPENAI_BASE_URL).toBe('http://p/route-0');
    // The variable outranks the settings' env block: then the base mount has the user's value.
    expect(QWEN.plan(fakeContext(['qwen'], { files, env: { OPENAI_BASE_URL: 'https://own.example/v1' } })).routes).toEqual([]);
  });

  it('takes a base URL from the .env file qwen-code loads (nearest .qwen/.env or .env, else the home ones)', () => {
    const files = {
      '/work/.env': 'OPENAI_BASE_URL=https://far.example/v1',
      '/work/proj/.qwen/.env': '# gateway\nexport OPENAI_BASE_URL="https://near.example/v1"\nOPENAI_API_KEY=k # key',
      '/home/u/.env': 'ANTHROPIC_BASE_URL=https://home.example',
    };
    const plan = QWEN.plan(fakeContext(['qwen'], { files }));
    expect(plan.routes).toEqual([{ family: 'openai', upstream: 'https://near.example/v1', from: 'OPENAI_BASE_URL in /work/proj/.qwen/.env' }]);
    // Only one .env file is loaded; with none in the project, the home one.
    const home = QWEN.plan(fakeContext(['qwen'], { files: { '/home/u/.env': files['/home/u/.env'] } }));
    expect(home.routes).toEqual([{ family: 'anthropic', upstream: 'https://home.example', from: 'ANTHROPIC_BASE_URL in /home/u/.env' }]);
    expect(home.launch(at(1)).env.ANTHROPIC_BASE_URL).toBe('http://p/route-0');
  });

  it.each([
    [['qwen', '--auth-type', 'qwen-oauth'], {}, {}, 'qwen-code is set to use Qwen OAuth (--auth-type)'],
    [
      ['qwen'],
      { '/home/u/.qwen/settings.json': { security: { auth: { selectedType: 'vertex-ai' } } } },
      {},
      'Vertex AI (security.auth.selectedType in /home/u/.qwen/settings.json)',
    ],
    [['qwen'], {}, { QWEN_OAUTH: '1' }, 'Qwen OAuth (QWEN_OAUTH)'],
    [
      ['qwen', '--auth-type', 'openai'],
      { '/work/proj/.qwen/settings.json': { modelProviders: { 'vertex-ai': [{ id: 'g' }] } } },
      {},
      "qwen-code's modelProviders.vertex-ai[0] (in /work/proj/.qwen/settings.json) uses Vertex AI",
    ],
  ])('refuses sign-ins that bypass capped: %j', (command, files, env, message) => {
    expect(() => QWEN.plan(fakeContext(command, { files, env }))).toThrow(SettingRefusal);
    expect(() => QWEN.plan(fakeContext(command, { files, env }))).toThrow(message);
  });

  it('names a settings file it cannot parse', () => {
    expect(() => QWEN.plan(fakeContext(['qwen'], { files: { '/home/u/.qwen/settings.json': '{ nope' } }))).toThrow(
      '/home/u/.qwen/settings.json is not valid JSON',
    );
  });
});
