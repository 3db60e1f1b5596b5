import { describe, expect, it } from 'vitest';
import { exitCodeOf, lastErrorLine, retryStreak, stepFailed } from '../../../src/budget/retry-loop.js';
import { normaliseCommand, normaliseText, stepIdentity, type ToolStep } from '../../../src/budget/tool-steps.js';
import { GuardWatch } from '../../../src/proxy/guard-watch.js';
import { mulberry32, randInt } from '../helpers/prng.js';

const bash = (command: string, output: string, failed: boolean | null = null): ToolStep => ({
  name: 'Bash',
  input: JSON.stringify({ command, description: 'x' }),
  output,
  failed,
});
const BUILD_ERROR = 'Exit code 2\nsrc/a.ts(3,1): error TS2304: Cannot find name foo.';

describe('normaliseCommand', () => {
  it('treats numbers, paths, quoting and flag order as the same step', () => {
    expect(normaliseCommand('npm run build -- --max-workers=2 --verbose')).toBe(normaliseCommand('npm run build -- --verbose --max-workers=4'));
    expect(normaliseCommand(`node "./scripts/build.js" --out dist`)).toBe(normaliseCommand(`node '/repo/scripts/build.js' --out dist`));
    expect(normaliseCommand('cd /repo && npm   run build')).toBe(normaliseCommand("cd '/other/repo' && npm run build"));
    expect(normaliseCommand('npx tsc -p . --noEmit')).toBe(normaliseCommand('npx tsc --noEmit -p .'));
  });

  it('keeps different commands apart', () => {
    expect(normaliseCommand('npm run build')).not.toBe(normaliseCommand('npm run test'));
    expect(normaliseCommand('npm run build && npm test')).not.toBe(normaliseCommand('npm run build'));
  });

  it('labels a shell step by its command and any other tool by its name', () => {
    expect(stepIdentity(bash('npm run build', ''))).toMatchObject({ label: 'npm run build' });
    const edit = stepIdentity({ name: 'Edit', input: JSON.stringify({ file_path: '/r/a.ts', old_string: 'x', new_string: 'y' }) });
    expect(edit.label).toBe('Edit');
    expect(edit.key).toBe(stepIdentity({ name: 'Edit', input: JSON.stringify({ new_string: 'y', old_string: 'x', file_path: './a.ts' }) }).key);
  });
});

describe('stepFailed', () => {
  it('reads the error flag, exit codes as agents report them, and error lines', () => {
    expect(stepFailed(bash('x', 'fine', true))).toBe(true);
    expect(stepFailed(bash('x', 'Exit code 1\nboom'))).toBe(true);
    expect(stepFailed(bash('x', 'go: exit status 2'))).toBe(true);
    expect(stepFailed(bash('x', '{"output":"boom","metadata":{"exit_code":1,"duration_seconds":0.2}}'))).toBe(true);
    expect(stepFailed(bash('x', 'Command: make\nStdout: (empty)\nExit Code: 2'))).toBe(true);
    expect(stepFailed(bash('x', 'Process exited with code 1\nOutput:\nboom'))).toBe(true);
    expect(stepFailed(bash('x', 'npm ERR! missing script: build'))).toBe(true);
    expect(stepFailed(bash('x', 'TypeError: x is not a function\n    at y'))).toBe(true);
  });

  it('passes results that report success or say nothing of failure', () => {
    expect(stepFailed(bash('x', '{"output":"ok","metadata":{"exit_code":0}}'))).toBe(false);
    expect(stepFailed(bash('x', ' ✓ test/a.test.ts (3 tests)\n Tests  3 passed (3)'))).toBe(false);
    // the script's text mentions an exit, but nothing reported one
    expect(stepFailed(bash('cat run.sh', 'if [ -z "$X" ]; then\n  exit 1\nfi', false))).toBe(false);
    expect(exitCodeOf('Exit code 0')).toBe(0);
  });

  it('picks the line that says what went wrong', () => {
    expect(lastErrorLine(BUILD_ERROR)).toBe('src/a.ts(3,1): error TS2304: Cannot find name foo.');
    expect(lastErrorLine('Exit code 1\nsome output\nlast words')).toBe('last words');
    expect(lastErrorLine('')).toBe('(no output)');
  });
});

describe('retryStreak', () => {
  it('counts the same step failing the same way, with reads and edits in between', () => {
    const steps = [
      bash('npm run build --silent', BUILD_ERROR, true),
      { name: 'Read', input: '{"file_path":"/r/src/a.ts"}', output: 'code', failed: null },
      bash('npm run  build   --silent', BUILD_ERROR, true),
      { name: 'Edit', input: '{"file_path":"/r/src/a.ts"}', output: 'ok', failed: null },
      bash("npm run 'build' --silent", BUILD_ERROR.replace('(3,1)', '(4,1)'), true),
    ];
    expect(retryStreak(steps)).toMatchObject({ step: "npm run 'build' --silent", count: 3, lastError: 'src/a.ts(4,1): error TS2304: Cannot find name foo.' });
  });

  it('finds no loop when the error is fixed on the second attempt', () => {
    const steps = [
      bash('npm run build', BUILD_ERROR, true),
      { name: 'Edit', input: '{}', output: 'ok', failed: null },
      bash('npm run build', 'built in 2s', null),
    ];
    expect(retryStreak(steps)).toBeNull();
    // and a later failure starts again at one
    expect(retryStreak([...steps, bash('npm run build', BUILD_ERROR, true)])).toMatchObject({ count: 1 });
  });

  it('finds no loop in a passing command run after each edit', () => {
    const steps = Array.from({ length: 10 }, (_, i) => [
      { name: 'Edit', input: JSON.stringify({ file_path: `src/f${i}.ts` }), output: 'ok', failed: null },
      bash('npm test', ` Test Files  4 passed (4)\n      Tests  ${20 + i} passed (${20 + i})`),
    ]).flat();
    expect(retryStreak(steps)).toBeNull();
  });

  it('starts a new streak when the error changes (the agent got further)', () => {
    const steps = [
      bash('make', 'Exit code 2\nerror: a.c missing'),
      bash('make', 'Exit code 2\nerror: a.c missing'),
      bash('make', 'Exit code 2\nerror: b.c: undefined reference'),
    ];
    const streak = retryStreak(steps)!;
    expect(streak.count).toBe(1);
    expect(streak.id).not.toBe(retryStreak(steps.slice(0, 2))!.id);
  });

  it('keeps the streak id while it grows, so an answer covers it', () => {
    const three = [bash('make', 'Exit code 2\nerror: x'), bash('make', 'Exit code 2\nerror: x'), bash('make', 'Exit code 2\nerror: x')];
    expect(retryStreak(three)!.id).toBe(retryStreak([...three, bash('make', 'Exit code 2\nerror: x')])!.id);
  });
});

describe('lastErrorLine on real tool output', () => {
  it('prefers the compiler error over npm’s summary of the failed script', () => {
    const npm = [
      'Exit code 2',
      '',
      '> app@1.0.0 build',
      '> node build.js',
      '',
      "src/app.ts(1,7): error TS2304: Cannot find name 'foo'.",
      'npm error Lifecycle script `build` failed with error:',
      'npm error code 2',
    ].join('\n');
    expect(lastErrorLine(npm)).toBe("src/app.ts(1,7): error TS2304: Cannot find name 'foo'.");
    expect(lastErrorLine('Exit code 101\n   Compiling x v0.1.0\nerror[E0425]: cannot find value `y` in this scope')).toBe(
      'error[E0425]: cannot find value `y` in this scope',
    );
  });
});

/** The streak read forwards over the whole history: the rule as first written, kept to check the backward read against. */
function forwardStreak(steps: readonly ToolStep[]): ReturnType<typeof retryStreak> {
  const runs = new Map<string, { start: number; count: number; signature: string; lastError: string; step: string }>();
  let latest: string | null = null;
  for (const [index, step] of steps.entries()) {
    const { key, label } = stepIdentity(step);
    latest = null;
    if (!stepFailed(step)) {
      runs.delete(key);
      continue;
    }
    const lastError = lastErrorLine(step.output);
    const signature = normaliseText(lastError);
    const run = runs.get(key);
    if (run && run.signature === signature) runs.set(key, { ...run, count: run.count + 1, lastError, step: label });
    else runs.set(key, { start: index, count: 1, signature, lastError, step: label });
    latest = key;
  }
  if (latest === null) return null;
  const run = runs.get(latest)!;
  return { id: `${latest}@${run.start}`, step: run.step, count: run.count, lastError: run.lastError };
}

describe('retryStreak read backwards', () => {
  it('finds the same streak as reading the whole history forwards, and so does the run-wide GuardWatch', () => {
    const rand = mulberry32(1309);
    const commands = ['npm run build', 'npm test', 'cat src/a.ts', 'npx tsc --noEmit'];
    const outputs = ['ok', BUILD_ERROR, 'Exit code 1\nError: other failure', 'Exit code 0\ndone', 'fatal: not a git repository'];
    let streaks = 0;
    for (let round = 0; round < 300; round++) {
      const steps = Array.from({ length: randInt(rand, 0, 12) }, () =>
        bash(commands[randInt(rand, 0, commands.length - 1)]!, outputs[randInt(rand, 0, outputs.length - 1)]!, rand() < 0.2 ? true : null),
      );
      const expected = forwardStreak(steps);
      if (expected !== null && expected.count > 1) streaks++;
      expect(retryStreak(steps), JSON.stringify(steps)).toEqual(expected);
      expect(new GuardWatch('/repo').facts(steps).loop).toEqual(expected);
    }
    // The random histories do hold streaks longer than one attempt.
    expect(streaks).toBeGreaterThan(10);
  });
});
