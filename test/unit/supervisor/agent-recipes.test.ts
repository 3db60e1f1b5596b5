import { describe, expect, it } from 'vitest';
import { applyRecipeArgs, GENERIC_RECIPE, recipeFor, RECIPES } from '../../../src/supervisor/agent-recipes.js';

const P = { anthropic: 'http://p/anthropic', openai: 'http://p/openai', openaiHost: 'http://p/openai-host', gemini: 'http://p/gemini' };

describe('agent recipes', () => {
  it.each([
    [['claude'], 'claude'],
    [['/usr/local/bin/claude', '-p', 'hi'], 'claude'],
    [['codex', 'exec', 'fix it'], 'codex'],
    [['npx', '-y', '@openai/codex@latest', 'exec'], 'codex'],
    [['node', '/opt/codex/bin/codex.js'], 'codex'],
    [['gemini', '-p', 'x'], 'gemini'],
    [['aider'], 'aider'],
    [['goose', 'session'], 'goose'],
    [['opencode'], 'opencode'],
    [['python', 'my_agent.py'], 'generic'],
    [['node'], 'generic'],
  ])('recognises %j as %s', (command, id) => {
    expect(recipeFor(command).id).toBe(id);
  });

  it('inserts the Codex config override right after its executable', () => {
    const codex = RECIPES.find((r) => r.id === 'codex')!;
    expect(applyRecipeArgs(codex, ['codex', 'exec', 'task'], P)).toEqual(['codex', '-c', 'openai_base_url="http://p/openai"', 'exec', 'task']);
    expect(applyRecipeArgs(codex, ['npx', '-y', '@openai/codex', 'exec'], P)).toEqual(['npx', '-y', '@openai/codex', '-c', 'openai_base_url="http://p/openai"', 'exec']);
    expect(codex.env(P, {})).toEqual({ OPENAI_BASE_URL: 'http://p/openai' });
  });

  it('leaves other command lines alone', () => {
    expect(applyRecipeArgs(GENERIC_RECIPE, ['python', 'a.py', '--x'], P)).toEqual(['python', 'a.py', '--x']);
  });

  it('sets the variables each agent honours', () => {
    const env = (id: string) => RECIPES.find((r) => r.id === id)!.env(P, {});
    expect(env('claude')).toEqual({ ANTHROPIC_BASE_URL: 'http://p/anthropic' });
    expect(env('gemini')).toEqual({ GOOGLE_GEMINI_BASE_URL: 'http://p/gemini' });
    expect(env('goose')).toEqual({ ANTHROPIC_HOST: 'http://p/anthropic', OPENAI_HOST: 'http://p/openai-host' });
    expect(env('aider')).toEqual({ OPENAI_API_BASE: 'http://p/openai', OPENAI_BASE_URL: 'http://p/openai', ANTHROPIC_BASE_URL: 'http://p/anthropic', ANTHROPIC_API_BASE: 'http://p/anthropic' });
    expect(GENERIC_RECIPE.env(P, {})).toEqual({
      ANTHROPIC_BASE_URL: 'http://p/anthropic',
      OPENAI_BASE_URL: 'http://p/openai',
      OPENAI_API_BASE: 'http://p/openai',
      GOOGLE_GEMINI_BASE_URL: 'http://p/gemini',
    });
  });

  it("merges opencode's provider base URLs into the user's own config content", () => {
    const opencode = RECIPES.find((r) => r.id === 'opencode')!;
    const user = JSON.stringify({ theme: 'dark', provider: { anthropic: { options: { apiKey: 'k', timeout: 5 } } } });
    const merged = JSON.parse(opencode.env(P, { OPENCODE_CONFIG_CONTENT: user }).OPENCODE_CONFIG_CONTENT!) as Record<string, unknown>;
    expect(merged).toEqual({
      theme: 'dark',
      provider: {
        anthropic: { options: { apiKey: 'k', timeout: 5, baseURL: 'http://p/anthropic/v1' } },
        openai: { options: { baseURL: 'http://p/openai' } },
        google: { options: { baseURL: 'http://p/gemini/v1beta' } },
      },
    });
    const fresh = JSON.parse(opencode.env(P, { OPENCODE_CONFIG_CONTENT: 'not json' }).OPENCODE_CONFIG_CONTENT!) as { provider: object };
    expect(Object.keys(fresh.provider)).toEqual(['anthropic', 'openai', 'google']);
  });
});
