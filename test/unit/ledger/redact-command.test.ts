import { describe, expect, it } from 'vitest';
import { looksSecret, redactCommand, storedCommand } from '../../../src/ledger/redact-command.js';

const PROMPT = 'Fix the failing tests in src/api and explain what was wrong with the retry logic, then open a PR';

describe('redactCommand', () => {
  it('keeps the executable, subcommands and flags, and turns prompts into their length', () => {
    expect(redactCommand(['claude', '-p', PROMPT, '--model', 'sonnet'])).toEqual(['claude', '-p', `<prompt: ${PROMPT.length} chars>`, '--model', 'sonnet']);
    expect(redactCommand(['codex', 'exec', 'fix the tests'])).toEqual(['codex', 'exec', '<prompt: 13 chars>']);
    expect(redactCommand(['aider', '--message=add a test please', '--yes'])).toEqual(['aider', '--message=<prompt: 17 chars>', '--yes']);
  });

  it('counts characters, not bytes', () => {
    expect(redactCommand(['claude', '-p', 'répare les tests 🙂'])).toEqual(['claude', '-p', '<prompt: 18 chars>']);
  });

  it('replaces keys and tokens, as values of secret flags or by their shape', () => {
    expect(redactCommand(['agent', '--api-key=sk-ant-api03-abcdefghijklmnop', '--x'])).toEqual(['agent', '--api-key=***', '--x']);
    expect(redactCommand(['agent', '--api-key', 'short', '--token', 'abc', '--db-password', 'hunter2'])).toEqual([
      'agent',
      '--api-key',
      '***',
      '--token',
      '***',
      '--db-password',
      '***',
    ]);
    expect(redactCommand(['agent', 'sk-proj-0123456789abcdef', 'ghp_0123456789abcdefABCDEF'])).toEqual(['agent', '***', '***']);
    expect(redactCommand(['agent', '--openai-api-key', 'x', '--anthropic-api-key=y'])).toEqual(['agent', '--openai-api-key', '***', '--anthropic-api-key=***']);
    expect(redactCommand(['agent', '--header', 'Authorization: Bearer abcdefgh12345678'])).toEqual(['agent', '--header', '<prompt: 38 chars>']);
  });

  it('keeps ordinary values: numbers, models, paths, and flags that only mention tokens', () => {
    const command = [
      'aider',
      '--max-tokens',
      '4096',
      '--model',
      'claude-sonnet-4-5-20250929',
      '--file',
      'src/components/SettingsPanel2.tsx',
      '--keyboard',
      'vi',
      '-v',
    ];
    expect(redactCommand(command)).toEqual(command);
  });

  it('does not take the flag after a secret flag for its value', () => {
    expect(redactCommand(['agent', '--token', '--verbose'])).toEqual(['agent', '--token', '--verbose']);
  });

  it('storedCommand keeps everything with keepArgs', () => {
    const command = ['claude', '-p', PROMPT, '--api-key', 'sk-ant-xyz0123456789'];
    expect(storedCommand(command, true)).toEqual(command);
    expect(storedCommand(command, false)).not.toContain(PROMPT);
  });
});

describe('looksSecret', () => {
  it('tells random tokens from names', () => {
    expect(looksSecret('AKIAIOSFODNN7EXAMPLE')).toBe(true);
    expect(looksSecret('a8Fk2LpQ9xZ7mN4vB1cR6tY3wE5uI0oP')).toBe(true);
    expect(looksSecret('claude-sonnet-4-5-20250929')).toBe(false);
    expect(looksSecret('--dangerously-skip-permissions')).toBe(false);
    expect(looksSecret('gpt-4o-mini')).toBe(false);
    expect(looksSecret('src/components/SettingsPanel2.tsx')).toBe(false);
    expect(looksSecret('session_3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c')).toBe(true);
  });
});
