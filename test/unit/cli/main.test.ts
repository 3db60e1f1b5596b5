import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/errors.js';
import { COMMAND_NAMES, commandsFor, createProgram, main, type CliDeps } from '../../../src/cli/main.js';

interface Captured {
  deps: CliDeps;
  out: () => string;
  err: () => string;
}

/** Fake process surroundings: output is collected into strings; nothing is spawned. */
function fakeDeps(): Captured {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    env: {},
    cwd: '/nonexistent/capped-test',
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    stdinIsTTY: false,
    stderrIsTTY: false,
    now: () => new Date('2026-01-01T00:00:00.000Z'),
    signals: new EventEmitter(),
  };
  return { deps, out: () => out, err: () => err };
}

async function runMain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const f = fakeDeps();
  const code = await main(argv, f.deps);
  return { code, out: f.out(), err: f.err() };
}

const EXAMPLE = 'capped run --max-usd 1.50 -- claude';

describe('capped run: usage errors exit 2 before anything starts', () => {
  it('needs the agent command after --', async () => {
    for (const argv of [['run'], ['run', '--'], ['run', '--max-usd', '2']]) {
      const r = await runMain(argv);
      expect(r.code, argv.join(' ')).toBe(EXIT.usage);
      expect(r.err).toBe(`capped: \`capped run\` needs the agent command after \`--\`, e.g.\n  ${EXAMPLE}\n`);
      expect(r.err).toContain(EXAMPLE);
      expect(r.out).toBe('');
    }
  });

  it('rejects a bad --max-usd with the exact message', async () => {
    const r = await runMain(['run', '--max-usd', 'abc', '--', 'x']);
    expect(r).toEqual({
      code: 2,
      out: '',
      err: 'capped: Expected `--max-usd` to be a positive number of dollars (e.g. --max-usd 1.50), got `abc`.\n',
    });
    for (const bad of ['-1', '0', '']) {
      const each = await runMain(['run', '--max-usd', bad, '--', 'x']);
      expect(each.code).toBe(2);
      expect(each.err).toBe(`capped: Expected \`--max-usd\` to be a positive number of dollars (e.g. --max-usd 1.50), got \`${bad}\`.\n`);
    }
    const huge = await runMain(['run', '--max-usd', '1e6', '--', 'x']);
    expect(huge.err).toBe(
      'capped: Expected `--max-usd` to be a dollar amount in plain digits from $0.000001 to $1,000,000 (e.g. --max-usd 1.50), got `1e6`.\n',
    );
    const inline = await runMain(['run', '--max-usd=', '--', 'x']);
    expect(inline.err).toContain('got ``.');
  });

  it('rejects a bad --max-tokens with the exact message', async () => {
    const r = await runMain(['run', '--max-tokens', '1.5', '--', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('capped: Expected `--max-tokens` to be a positive whole number of tokens (e.g. --max-tokens 200000 or 200k), got `1.5`.\n');
  });

  it('rejects words before -- and points at the fix', async () => {
    const r = await runMain(['run', 'foo', '--', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `capped: unexpected argument \`foo\` before \`--\`; see \`capped run --help\`. The agent command goes after \`--\`, e.g.\n  ${EXAMPLE}\n`,
    );
    // an agent command without -- gets the hint, agent flags included
    const noDashes = await runMain(['run', 'claude', 'hi']);
    expect(noDashes.code).toBe(2);
    expect(noDashes.err).toBe(`capped: \`capped run\` needs the agent command after \`--\` (got \`claude hi\`), e.g.\n  ${EXAMPLE}\n`);
    const withFlag = await runMain(['run', 'claude', '--print', 'hi']);
    expect(withFlag.code).toBe(2);
    expect(withFlag.err).toContain('needs the agent command after `--` (got `claude --print hi`)');
  });

  it('rejects unknown options, missing values and unknown commands', async () => {
    const unknown = await runMain(['run', '--bogus', '--', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toBe('');
    expect(unknown.err).toContain('capped: unknown option `--bogus` before `--`; see `capped run --help`.');
    const top = await runMain(['--bogus']);
    expect(top.code).toBe(2);
    expect(top.err).toContain("unknown option '--bogus'");
    const missing = await runMain(['run', '--max-usd', '--', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("option '--max-usd <dollars>' argument missing");
    const command = await runMain(['nope']);
    expect(command.code).toBe(2);
    expect(command.err).toContain("unknown command 'nope'");
  });

  it.each([['report'], ['run'], ['runs'], ['config'], ['init'], ['agents'], ['phase'], []])(
    'capped %s --help wraps its description cleanly',
    async (...command) => {
      const r = await runMain([...command, '--help']);
      expect(r.code).toBe(0);
      // commander wraps to the terminal's width, or 80 columns without one
      const width = process.stdout.isTTY ? process.stdout.columns : 80;
      const lines = r.out.split('\n');
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(width);
      // the description is the paragraph after the usage line: each line as full as the next word allows
      const end = lines.indexOf('', 2);
      const description = lines[2]!.endsWith(':') ? [] : lines.slice(2, end);
      for (let i = 0; i + 1 < description.length; i++) {
        const next = description[i + 1]!.split(' ')[0]!;
        expect(description[i]!.length + 1 + next.length, `${description[i]} | ${next}`).toBeGreaterThan(width);
      }
    },
  );

  it("starts every line of commander's own errors with capped:", async () => {
    for (const argv of [['--bogus'], ['run', '--max-usd', '--', 'x'], ['nope'], ['report', '--since'], ['runs', 'show'], ['report', 'extra'], ['repot']]) {
      const r = await runMain(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      const lines = r.err.trimEnd().split('\n');
      expect(lines.length, argv.join(' ')).toBeGreaterThan(1);
      for (const line of lines) expect(line, argv.join(' ')).toMatch(/^capped: /);
      expect(r.err, argv.join(' ')).not.toContain('error:');
    }
    expect((await runMain(['repot'])).err).toBe("capped: unknown command 'repot'\ncapped: (Did you mean report?)\ncapped: run `capped --help` for usage\n");
  });

  it('never reads flags after -- as its own', async () => {
    // `--bogus` and `--max-usd abc` belong to the agent; capped still fails only on its own missing pieces
    const r = await runMain(['run', 'extra', '--', 'agent', '--bogus', '--max-usd', 'abc']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unexpected argument `extra`');
    expect(r.err).not.toContain('bogus');
    expect(r.err).not.toContain('abc');
  });

  it('prints the help to stderr and exits 2 when given nothing', async () => {
    for (const argv of [[], ['--', 'claude']]) {
      const r = await runMain(argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^Usage: capped \[options\] \[command\]/);
      expect(r.err).toContain('run an agent under a spending cap');
    }
  });
});

describe('capped --help and --version', () => {
  it('--help exits 0 with the help on stdout', async () => {
    const r = await runMain(['--help']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^Usage: capped \[options\] \[command\]/);
    expect(r.out).toContain('run [options]');
  });

  it('run --help exits 0 and shows the example', async () => {
    const r = await runMain(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^Usage: capped run \[options\] -- <command> \[args\.\.\.\]\n/);
    expect(r.out).toContain(EXAMPLE);
  });

  it('pins the whole run --help text', async () => {
    const f = fakeDeps();
    const program = await createProgram(f.deps, null, () => undefined);
    // Commander wraps help to the terminal width; pin it so the text does not depend on where tests run.
    program.commands.find((c) => c.name() === 'run')!.configureOutput({ getOutHelpWidth: () => 80 });
    const err = await program.parseAsync(['run', '--help'], { from: 'user' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).exitCode).toBe(0);
    expect(f.err()).toBe('');
    expect(f.out()).toMatchInlineSnapshot(`
      "Usage: capped run [options] -- <command> [args...]

      Run an agent with its API traffic metered by a local proxy, and stop it at the
      cap. Everything after \`--\` is the agent command, passed through untouched.

      Arguments:
        command                     the agent command, after \`--\`

      Options:
        --record <file>             write the run record (JSON) to this file when the
                                    run ends
        --summary-html <file>       write the run's page (HTML, its spend curve) to
                                    this file when the run ends
        --policy <preset>           preset the policy starts from: individual, team or
                                    strict
        --max-usd <dollars>         dollar cap for the run (default: 1.00)
        --max-tokens <n>            token cap for the run, all token kinds together
                                    (e.g. 200000 or 200k)
        --max-actions <n>           tool calls the model may ask for in the run
        --on-limit <action>         at a limit: stop (end the agent), ask (pause and
                                    ask for more), downgrade (continue on
                                    downgradeTo), pause (wait for the next budget
                                    window)
        --downgrade-to <model>      cheaper model that onLimit: downgrade continues
                                    on, within the remaining budget
        --model <model>             the run's selected model; unset, it is inferred
                                    from the first main-loop request
        --escalation <mode>         a request for a pricier model than the selected
                                    one: ask (hold it and propose a new ceiling; deny
                                    without a terminal), deny, or allow (within the
                                    same ceiling)
        --escalation-deny <how>     how a denied escalation is carried out:
                                    send-selected (send it on the selected model) or
                                    refuse
        --reserve <mode>            how a request is priced before it is sent: likely
                                    (cache-aware, from what earlier requests of the
                                    conversation were billed; the risk taken is in the
                                    record) or worst (every input token at the highest
                                    rate it could be billed at)
        --idle <duration>           no keystroke for this long and the next spending
                                    step waits for approval (90s, 10m, 1h, or off)
        --unattended                whether a run may go on with nobody present (no
                                    terminal, or idle); false refuses unattended
                                    execution
        --no-unattended             refuse to run with nobody present
        --keep-args                 keep the agent command verbatim in the ledger, the
                                    record and the logs; by default prompts become
                                    their length and keys become ***
        --verify-usd <dollars>      dollar ceiling for the verification phase (tests,
                                    lint, typecheck, builds); set this or verifyShare
        --verify-share <share>      verification ceiling as a share of maxUsd (0.4 or
                                    40%); used when verifyUsd is not set
        --restricted-tools <names>  tools removed from every request, comma-separated
                                    (e.g. WebSearch,WebFetch)
        --ledger <url>              a team ledger on PostgreSQL (default:
                                    CAPPED_LEDGER_URL, then config ledger.url, else
                                    the local one)
        --loop-attempts <n>         failing attempts in a row of the same step (same
                                    command, numbers, paths, quoting and flag order
                                    aside, same error) that make a retry loop
        --on-loop <action>          at a retry loop: ask (pause the agent and ask;
                                    stop without a terminal), stop (end the run), or
                                    off
        --scope-files <n>           distinct files the agent may read in a run
                                    (Read/View tools, cat, sed, head, tail, grep), or
                                    off
        --on-scope <action>         past scope.files: ask (pause the agent and ask;
                                    stop without a terminal) or stop (end the run)
        --sealed                    run the agent in its own network namespace whose
                                    only way out is capped (Linux)
        -h, --help                  display help for command

      Example:
        capped run --max-usd 1.50 -- claude
        capped run --max-usd 5 --record run.json -- codex exec "fix the tests"
      "
    `);
  });

  it('--version and -v print the package.json version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-v']) {
      const r = await runMain([flag]);
      expect(r).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
    }
  });

  it('defines only the command a line names: all for the list or a misspelt one, none for the version', () => {
    expect(commandsFor(['run', '--max-usd', '1'])).toEqual(['run']);
    expect(commandsFor(['help', 'doctor'])).toEqual(['doctor']);
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['-v'])).toEqual([]);
    for (const head of [[], ['--help'], ['help'], ['rnu'], ['--bogus']]) expect(commandsFor(head), head.join(' ')).toEqual(COMMAND_NAMES);
  });

  it('lists every command, suggests one for a typo, and prints one command’s help for `help <command>`', async () => {
    const list = await runMain(['--help']);
    for (const name of COMMAND_NAMES) expect(list.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    const typo = await runMain(['rnu']);
    expect(typo.code).toBe(EXIT.usage);
    expect(typo.err).toContain('(Did you mean run?)');
    const help = await runMain(['help', 'runs']);
    expect(help.out).toMatch(/^Usage: capped runs \[options\]/);
  });
});

describe('createProgram', () => {
  it('hands run errors back as exceptions, not exit calls', async () => {
    const f = fakeDeps();
    let exit: number | null = null;
    const program = await createProgram(f.deps, ['agent'], (code) => {
      exit = code;
    });
    await expect(program.parseAsync(['run', '--max-usd', '0'], { from: 'user' })).rejects.toThrow(
      'Expected `--max-usd` to be a positive number of dollars (e.g. --max-usd 1.50), got `0`.',
    );
    expect(exit).toBeNull();
  });
});
