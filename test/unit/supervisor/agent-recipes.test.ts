import { describe, expect, it } from 'vitest';
import { GENERIC_RECIPE, recipeFor, RECIPES, SettingRefusal } from '../../../src/supervisor/agent-recipes.js';
import { at, fakeContext } from './recipes/fake-context.js';

const launch = (id: string, command: string[] = [id]) => {
  const recipe = RECIPES.find((r) => r.id === id) ?? GENERIC_RECIPE;
  return recipe.plan(fakeContext(command)).launch(at(0));
};

describe('agent recipes', () => {
  it.each([
    [['claude'], 'claude'],
    [['/usr/local/bin/claude', '-p', 'hi'], 'claude'],
    [['codex', 'exec', 'fix it'], 'codex'],
    [['npx', '-y', '@openai/codex@latest', 'exec'], 'codex'],
    [['node', '/opt/codex/bin/codex.js'], 'codex'],
    [['gemini', '-p', 'x'], 'gemini'],
    [['qwen', '-p', 'x'], 'qwen'],
    [['npx', '@qwen-code/qwen-code', '-p', 'x'], 'qwen'],
    [['aider'], 'aider'],
    [['goose', 'session'], 'goose'],
    [['opencode'], 'opencode'],
    [['npx', 'opencode-ai', 'run'], 'opencode'],
    [['kilo', 'run'], 'kilo'],
    [['crush'], 'crush'],
    [['python', 'my_agent.py'], 'generic'],
    [['node'], 'generic'],
  ])('recognises %j as %s', (command, id) => {
    expect(recipeFor(command).id).toBe(id);
  });

  it('inserts the Codex config override right after its executable', () => {
    expect(launch('codex', ['codex', 'exec', 'task']).argv).toEqual(['codex', '-c', 'openai_base_url="http://p/openai"', 'exec', 'task']);
    expect(launch('codex', ['npx', '-y', '@openai/codex', 'exec']).argv).toEqual([
      'npx',
      '-y',
      '@openai/codex',
      '-c',
      'openai_base_url="http://p/openai"',
      'exec',
    ]);
    expect(launch('codex').env).toEqual({ OPENAI_BASE_URL: 'http://p/openai' });
  });

  it('leaves other command lines alone', () => {
    expect(launch('generic', ['python', 'a.py', '--x']).argv).toEqual(['python', 'a.py', '--x']);
  });

  it('sets the variables each agent honours', () => {
    expect(launch('claude').env).toEqual({ ANTHROPIC_BASE_URL: 'http://p/anthropic' });
    expect(launch('gemini').env).toEqual({ GOOGLE_GEMINI_BASE_URL: 'http://p/gemini' });
    expect(launch('goose').env).toEqual({ ANTHROPIC_HOST: 'http://p/anthropic', OPENAI_HOST: 'http://p/openai-host' });
    expect(launch('aider').env).toEqual({
      OPENAI_API_BASE: 'http://p/openai',
      OPENAI_BASE_URL: 'http://p/openai',
      ANTHROPIC_BASE_URL: 'http://p/anthropic',
      ANTHROPIC_API_BASE: 'http://p/anthropic',
    });
    expect(launch('generic').env).toEqual({
      ANTHROPIC_BASE_URL: 'http://p/anthropic',
      OPENAI_BASE_URL: 'http://p/openai',
      OPENAI_API_BASE: 'http://p/openai',
      GOOGLE_GEMINI_BASE_URL: 'http://p/gemini',
    });
  });

  it("refuses Gemini CLI's Google sign-in, naming the setting, and warns about the gateway check", () => {
    const gemini = RECIPES.find((r) => r.id === 'gemini')!;
    const files = { '/home/u/.gemini/settings.json': { security: { auth: { selectedType: 'oauth-personal' } } } };
    expect(() => gemini.plan(fakeContext(['gemini'], { files }))).toThrow(SettingRefusal);
    expect(() => gemini.plan(fakeContext(['gemini'], { files }))).toThrow('security.auth.selectedType in /home/u/.gemini/settings.json');
    expect(() => gemini.plan(fakeContext(['gemini'], { env: { GOOGLE_GENAI_USE_VERTEXAI: 'true' } }))).toThrow('GOOGLE_GENAI_USE_VERTEXAI=true');
    expect(gemini.plan(fakeContext(['gemini'], { env: { GEMINI_API_KEY: 'k' } })).warning).toContain('"selectedType": "gemini-api-key"');
  });

  it('reads Gemini CLI settings with block comments and trailing commas (they used to skip the check)', () => {
    const gemini = RECIPES.find((r) => r.id === 'gemini')!;
    const text = '{\n  /* sign-in */\n  "security": { "auth": { "selectedType": "vertex-ai", }, },\n}\n';
    const files = { '/home/u/.gemini/settings.json': text };
    expect(() => gemini.plan(fakeContext(['gemini'], { files }))).toThrow('sign in with Vertex AI');
    // A file that cannot be read at all stops the run too: where Gemini CLI sends requests is unknown.
    expect(() => gemini.plan(fakeContext(['gemini'], { files: { '/home/u/.gemini/settings.json': '{ "security": ' } }))).toThrow(SettingRefusal);
  });

  it('says for every agent how it is redirected, what it reads and how it was verified', () => {
    for (const r of [...RECIPES, GENERIC_RECIPE]) {
      expect(r.redirect, r.id).not.toBe('');
      expect(r.reads.length, r.id).toBeGreaterThan(0);
      expect(r.verified, r.id).not.toBe('');
    }
  });
});
