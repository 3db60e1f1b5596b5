import { describe, expect, it } from 'vitest';
import { compilePatterns, phaseAfter, shellCommand } from '../../../src/budget/phases.js';
import { DEFAULT_VERIFY_PATTERNS } from '../../../src/config/defaults.js';

const P = compilePatterns(DEFAULT_VERIFY_PATTERNS);
const bash = (command: string) => ({ name: 'Bash', input: JSON.stringify({ command, description: 'x' }) });

describe('verification phase rules', () => {
  it.each([
    'npm test',
    'npm run lint -- --fix',
    'pnpm typecheck',
    'npx vitest run test/unit',
    'pytest -q tests/',
    'python -m pytest',
    'go test ./...',
    'cargo clippy --all-targets',
    'cd api && mvn -q verify',
    'dotnet test',
    'bundle exec rspec',
    'make check',
    'npx tsc --noEmit',
    'ruff check . && mypy src',
  ])('%s is verification', (command) => {
    expect(phaseAfter([bash(command)], P)).toBe('verification');
  });

  it.each(['ls -la', 'git status', 'cat package.json', 'npm install left-pad', 'echo test'])('%s says nothing', (command) => {
    expect(phaseAfter([bash(command)], P)).toBeNull();
  });

  it('a file edit returns to implementation, and the last call decides', () => {
    expect(phaseAfter([{ name: 'Edit', input: '{"file_path":"a.ts"}' }], P)).toBe('implementation');
    expect(phaseAfter([bash('npm test'), { name: 'Write', input: '{}' }], P)).toBe('implementation');
    expect(phaseAfter([{ name: 'apply_patch', input: '*** Begin Patch' }, bash('npm test')], P)).toBe('verification');
  });

  it('reads the command from each agent’s shell tool', () => {
    expect(shellCommand({ name: 'shell', input: JSON.stringify({ command: ['bash', '-lc', 'cargo test'] }) })).toBe('bash -lc cargo test');
    expect(shellCommand({ name: 'exec_command', input: JSON.stringify({ cmd: 'go test ./...' }) })).toBe('go test ./...');
    expect(shellCommand({ name: 'run_shell_command', input: JSON.stringify({ command: 'npm test' }) })).toBe('npm test');
    expect(shellCommand({ name: 'local_shell', input: JSON.stringify({ type: 'exec', command: ['pytest'] }) })).toBe('pytest');
    expect(shellCommand({ name: 'Read', input: '{"command":"npm test"}' })).toBeNull();
    expect(shellCommand({ name: 'Bash', input: 'not json' })).toBe('not json');
  });

  it('takes configured patterns', () => {
    expect(phaseAfter([bash('./scripts/ci.sh')], compilePatterns(['scripts/ci\\.sh']))).toBe('verification');
  });
});
