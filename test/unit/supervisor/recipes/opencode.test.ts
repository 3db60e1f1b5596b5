import { describe, expect, it } from 'vitest';
import { SettingRefusal } from '../../../../src/supervisor/agent-recipes.js';
import { KILO_RECIPE, OPENCODE_RECIPE } from '../../../../src/supervisor/recipes/opencode.js';
import { at, fakeContext } from './fake-context.js';

const content = (env: Record<string, string>, name = 'OPENCODE_CONFIG_CONTENT'): Record<string, unknown> => JSON.parse(env[name]!) as Record<string, unknown>;

describe('opencode recipe', () => {
  it('routes the built-in providers to their public endpoints, or the variables the AI SDK reads', () => {
    const plan = OPENCODE_RECIPE.plan(fakeContext(['opencode'], { env: { ANTHROPIC_BASE_URL: 'https://a-gw.example/v1' } }));
    expect(plan.routes).toEqual([
      { family: 'anthropic', upstream: 'https://a-gw.example/v1', from: 'ANTHROPIC_BASE_URL' },
      { family: 'openai', upstream: 'https://api.openai.com/v1', from: "opencode's default for openai" },
      { family: 'gemini', upstream: 'https://generativelanguage.googleapis.com/v1beta', from: "opencode's default for google" },
    ]);
    expect(content(plan.launch(at(3)).env)).toEqual({
      provider: {
        anthropic: { options: { baseURL: 'http://p/route-0' } },
        openai: { options: { baseURL: 'http://p/route-1' } },
        google: { options: { baseURL: 'http://p/route-2' } },
      },
      enabled_providers: ['anthropic', 'openai', 'google'],
    });
  });

  it('follows the AI SDK: the bare Anthropic host means its /v1 API', () => {
    const plan = OPENCODE_RECIPE.plan(fakeContext(['opencode'], { env: { ANTHROPIC_BASE_URL: 'https://api.anthropic.com/' } }));
    expect(plan.routes[0]!.upstream).toBe('https://api.anthropic.com/v1');
  });

  it("takes the user's baseURL from the nearest config (project over global, .opencode over project, {env:} resolved)", () => {
    const files = {
      '/home/u/.config/opencode/opencode.json': { provider: { openai: { options: { baseURL: 'https://global.example/v1', timeout: 5 } } } },
      '/work/.git/HEAD': 'ref: refs/heads/main',
      '/work/opencode.jsonc': '{ "provider": { "openai": { "options": { "baseURL": "{env:GW}/v1" } } }, /* team */ }',
      '/work/proj/.opencode/opencode.json': { provider: { anthropic: { options: { baseURL: 'https://claude-gw.example/v1' } } } },
      // Above the git root: not read.
      '/opencode.json': { provider: { google: { options: { baseURL: 'https://never.example' } } } },
    };
    const plan = OPENCODE_RECIPE.plan(fakeContext(['opencode'], { files, env: { GW: 'https://team.example' } }));
    expect(plan.routes).toEqual([
      { family: 'anthropic', upstream: 'https://claude-gw.example/v1', from: 'provider.anthropic.options.baseURL in /work/proj/.opencode/opencode.json' },
      { family: 'openai', upstream: 'https://team.example/v1', from: 'provider.openai.options.baseURL in /work/opencode.jsonc' },
      { family: 'gemini', upstream: 'https://generativelanguage.googleapis.com/v1beta', from: "opencode's default for google" },
    ]);
  });

  it("routes custom OpenAI-compatible providers, keeps the user's own config content, and turns off what it cannot route", () => {
    const files = {
      '/work/proj/opencode.json': {
        provider: {
          mygw: { npm: '@ai-sdk/openai-compatible', options: { baseURL: 'https://my.example/v1' }, models: { m: {} } },
          bedrock: { options: { region: 'eu' } },
        },
      },
    };
    const env = {
      OPENCODE_CONFIG_CONTENT: JSON.stringify({
        theme: 'dark',
        provider: { openai: { options: { apiKey: 'k' } } },
        enabled_providers: ['openai', 'mygw', 'bedrock'],
      }),
    };
    const plan = OPENCODE_RECIPE.plan(fakeContext(['opencode'], { files, env }));
    expect(plan.routes.map((r) => r.upstream)).toEqual([
      'https://api.anthropic.com/v1',
      'https://api.openai.com/v1',
      'https://generativelanguage.googleapis.com/v1beta',
      'https://my.example/v1',
    ]);
    expect(plan.warning).toBe('opencode providers capped cannot meter are turned off for this run: bedrock.');
    expect(content(plan.launch(at(4)).env)).toEqual({
      theme: 'dark',
      provider: {
        openai: { options: { apiKey: 'k', baseURL: 'http://p/route-1' } },
        anthropic: { options: { baseURL: 'http://p/route-0' } },
        google: { options: { baseURL: 'http://p/route-2' } },
        mygw: { options: { baseURL: 'http://p/route-3' } },
      },
      // Only what the user enabled, and only what capped routes.
      enabled_providers: ['openai', 'mygw'],
    });
  });

  it.each([
    [['opencode', 'run', 'x', '-m', 'bedrock/claude'], {}, 'model "bedrock/claude" (-m) from provider "bedrock"'],
    [['opencode', 'run', 'x', '--model=openrouter/x'], {}, 'model "openrouter/x" (--model) from provider "openrouter"'],
    [
      ['opencode'],
      { '/home/u/.config/opencode/opencode.jsonc': { model: 'opencode/big-pickle' } },
      'model "opencode/big-pickle" (model in /home/u/.config/opencode/opencode.jsonc)',
    ],
  ])('refuses a chosen model on a provider capped cannot route: %j', (command, files, message) => {
    expect(() => OPENCODE_RECIPE.plan(fakeContext(command, { files }))).toThrow(message);
  });

  it('refuses a baseURL set where capped cannot override it, or read from a file', () => {
    const managed = { '/etc/opencode/opencode.json': { provider: { openai: { options: { baseURL: 'https://corp.example/v1' } } } } };
    expect(() => OPENCODE_RECIPE.plan(fakeContext(['opencode'], { files: managed }))).toThrow(SettingRefusal);
    expect(() => OPENCODE_RECIPE.plan(fakeContext(['opencode'], { files: managed }))).toThrow(
      "opencode's provider.openai.options.baseURL is set in managed config (/etc/opencode/opencode.json)",
    );
    const fromFile = { '/work/proj/opencode.json': { provider: { openai: { options: { baseURL: '{file:~/gw.txt}' } } } } };
    expect(() => OPENCODE_RECIPE.plan(fakeContext(['opencode'], { files: fromFile }))).toThrow('reads its value from a file');
    expect(() => OPENCODE_RECIPE.plan(fakeContext(['opencode'], { env: { OPENCODE_CONFIG_CONTENT: '{' } }))).toThrow(
      'OPENCODE_CONFIG_CONTENT is not valid JSON',
    );
  });

  it('reads no project files when the agent is told not to', () => {
    const files = { '/work/proj/opencode.json': { provider: { openai: { options: { baseURL: 'https://p.example/v1' } } } } };
    const plan = OPENCODE_RECIPE.plan(fakeContext(['opencode'], { files, env: { OPENCODE_DISABLE_PROJECT_CONFIG: '1' } }));
    expect(plan.routes[1]!.upstream).toBe('https://api.openai.com/v1');
  });
});

describe('kilo recipe', () => {
  it("reads kilo's own files and variables, and sets KILO_CONFIG_CONTENT (not opencode's)", () => {
    const files = {
      '/home/u/.config/kilo/kilo.jsonc': { provider: { anthropic: { options: { baseURL: 'https://global.example/v1' } } } },
      '/work/proj/.kilocode/kilo.json': { provider: { openai: { options: { baseURL: 'https://o.example/v1' } } } },
      '/work/proj/kilo.json': { provider: { anthropic: { options: { baseURL: 'https://k.example/v1' } } } },
      // opencode's variable means nothing to kilo.
      '/x.json': {},
    };
    const plan = KILO_RECIPE.plan(
      fakeContext(['kilo', 'run', 'x'], { files, env: { OPENCODE_CONFIG_CONTENT: '{"provider":{"google":{"options":{"baseURL":"https://no.example"}}}}' } }),
    );
    expect(plan.routes.map((r) => [r.upstream, r.from])).toEqual([
      ['https://k.example/v1', 'provider.anthropic.options.baseURL in /work/proj/kilo.json'],
      ['https://o.example/v1', 'provider.openai.options.baseURL in /work/proj/.kilocode/kilo.json'],
      ['https://generativelanguage.googleapis.com/v1beta', "kilo's default for google"],
    ]);
    const launch = plan.launch(at(3));
    expect(Object.keys(launch.env)).toEqual(['KILO_CONFIG_CONTENT']);
    expect(content(launch.env, 'KILO_CONFIG_CONTENT').enabled_providers).toEqual(['anthropic', 'openai', 'google']);
  });

  it('is found by both of its executable names', async () => {
    const { recipeFor } = await import('../../../../src/supervisor/agent-recipes.js');
    expect(recipeFor(['kilo']).id).toBe('kilo');
    expect(recipeFor(['kilocode', 'run']).id).toBe('kilo');
  });
});
