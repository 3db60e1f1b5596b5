import { describe, expect, it } from 'vitest';
import { SettingRefusal } from '../../../../src/supervisor/agent-recipes.js';
import { CRUSH_RECIPE } from '../../../../src/supervisor/recipes/crush.js';
import { at, fakeContext } from './fake-context.js';

describe('crush recipe', () => {
  it("replaces the global crush.json for the run: the user's settings kept, base URLs pointed at capped", () => {
    const files = {
      '/home/u/.config/crush/crush.json': {
        options: { debug: true },
        providers: { mygw: { type: 'openai-compat', base_url: 'https://gw.example/v1', api_key: '$GW_KEY', models: [{ id: 'm' }] } },
      },
    };
    const plan = CRUSH_RECIPE.plan(fakeContext(['crush', 'run', 'x'], { files }));
    expect(plan.routes).toEqual([{ family: 'openai', upstream: 'https://gw.example/v1', from: 'providers.mygw.base_url in /home/u/.config/crush/crush.json' }]);
    const launch = plan.launch(at(1));
    expect(launch.env).toEqual({ CRUSH_GLOBAL_CONFIG: '/run/crush' });
    expect(JSON.parse(launch.files['/run/crush/crush.json']!)).toEqual({
      options: { debug: true },
      providers: {
        mygw: { type: 'openai-compat', base_url: 'http://p/route-0', api_key: '$GW_KEY', models: [{ id: 'm' }] },
        anthropic: { base_url: 'http://p/anthropic' },
        openai: { base_url: 'http://p/openai' },
        gemini: { base_url: 'http://p/gemini' },
      },
    });
  });

  it('reads CRUSH_GLOBAL_CONFIG and XDG_CONFIG_HOME as crush does', () => {
    const files = { '/cfg/crush/crush.json': { providers: { anthropic: { base_url: 'https://claude-gw.example' } } } };
    const plan = CRUSH_RECIPE.plan(fakeContext(['crush'], { files, env: { XDG_CONFIG_HOME: '/cfg' } }));
    expect(plan.routes).toEqual([
      { family: 'anthropic', upstream: 'https://claude-gw.example', from: 'providers.anthropic.base_url in /cfg/crush/crush.json' },
    ]);
  });

  it.each([
    [
      { '/work/proj/.crush.json': { providers: { openai: { base_url: 'https://p.example/v1' } } } },
      "crush's providers.openai.base_url is set in /work/proj/.crush.json",
    ],
    [
      { '/home/u/.local/share/crush/crush.json': { providers: { x: { base_url: 'https://d.example' } } } },
      'providers.x.base_url is set in /home/u/.local/share/crush/crush.json',
    ],
    [{ '/work/proj/crushrc': 'export X=1' }, 'crush reads /work/proj/crushrc, a shell script'],
    [{ '/home/u/.config/crush/crush.json': { providers: { v: { type: 'bedrock', base_url: 'https://b.example' } } } }, 'has type "bedrock"'],
    [{ '/home/u/.config/crush/crush.json': { providers: { o: { type: 'openai', base_url: '$GW_URL' } } } }, 'is resolved by crush at run time'],
  ])('refuses settings capped cannot override: %j', (files, message) => {
    expect(() => CRUSH_RECIPE.plan(fakeContext(['crush'], { files }))).toThrow(SettingRefusal);
    expect(() => CRUSH_RECIPE.plan(fakeContext(['crush'], { files }))).toThrow(message);
  });

  it('looks for project files up to the git root only', () => {
    const files = {
      '/work/.git/HEAD': 'ref',
      '/crush.json': { providers: { openai: { base_url: 'https://above.example' } } },
      '/work/crush.json': { providers: { openai: { base_url: 'https://root.example' } } },
    };
    expect(() => CRUSH_RECIPE.plan(fakeContext(['crush'], { files }))).toThrow('/work/crush.json');
    expect(() => CRUSH_RECIPE.plan(fakeContext(['crush'], { files: { '/crush.json': files['/crush.json'] } }))).not.toThrow();
  });
});
