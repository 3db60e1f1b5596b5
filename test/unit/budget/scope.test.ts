import { describe, expect, it } from 'vitest';
import { filesRead, normalisePath, shellWords } from '../../../src/budget/scope.js';

const tool = (name: string, input: Record<string, unknown>) => ({ name, input: JSON.stringify(input) });
const sh = (command: string) => tool('Bash', { command });

describe('filesRead', () => {
  it('reads the path of read tools across agents', () => {
    expect(filesRead(tool('Read', { file_path: '/repo/src/a.ts' }), '/repo')).toEqual(['src/a.ts']);
    expect(filesRead(tool('read_file', { absolute_path: '/repo/README.md' }), '/repo')).toEqual(['README.md']);
    expect(filesRead(tool('read', { filePath: './src/b.ts' }))).toEqual(['src/b.ts']);
    expect(filesRead(tool('read_many_files', { paths: ['a.ts', 'b.ts'] }))).toEqual(['a.ts', 'b.ts']);
    expect(filesRead(tool('str_replace_based_edit_tool', { command: 'view', path: '/repo/c.ts' }), '/repo')).toEqual(['c.ts']);
    expect(filesRead(tool('str_replace_based_edit_tool', { command: 'str_replace', path: '/repo/c.ts' }), '/repo')).toEqual([]);
    expect(filesRead(tool('Edit', { file_path: '/repo/c.ts' }), '/repo')).toEqual([]);
  });

  it('reads the operands of cat, sed, head, tail and grep, not their patterns or option values', () => {
    expect(filesRead(sh('cat src/a.ts src/b.ts'))).toEqual(['src/a.ts', 'src/b.ts']);
    expect(filesRead(sh("sed -n '1,80p' src/c.ts"))).toEqual(['src/c.ts']);
    expect(filesRead(sh('head -n 40 d.ts && tail -20 e.ts'))).toEqual(['d.ts', 'e.ts']);
    expect(filesRead(sh('grep -rn "foo bar" src lib'))).toEqual(['src', 'lib']);
    expect(filesRead(sh('grep -e foo f.ts'))).toEqual(['f.ts']);
    expect(filesRead(sh('cat a.log 2>/dev/null | grep error'))).toEqual(['a.log']);
    expect(filesRead(sh('npm test'))).toEqual([]);
    // Codex's argv form
    expect(filesRead(tool('shell', { command: ['bash', '-lc', "sed -n '1,200p' src/main.rs"] }))).toEqual(['src/main.rs']);
  });

  it('counts one file once however it is spelled', () => {
    expect(normalisePath('/repo/src/a.ts', '/repo')).toBe('src/a.ts');
    expect(normalisePath('./src//a.ts', '/repo')).toBe('src/a.ts');
    expect(normalisePath('/elsewhere/a.ts', '/repo')).toBe('/elsewhere/a.ts');
  });

  it('splits shell words with quotes and operators', () => {
    expect(shellWords(`grep "a b" 'c;d' x&&y|z`)).toEqual(['grep', 'a b', 'c;d', 'x', '&&', 'y', '|', 'z']);
  });
});
