import type { Command } from 'commander';
import tty from 'node:tty';
import { holdSignals } from './early-signals.js';
import { quickRunOptions, RUN_OWN_OPTIONS } from './run-argv.js';
import * as flags from '../config/flags.js';
import { EXIT, FatalError, UsageError } from '../errors.js';
import type { RunDeps } from './run.js';
import { LocalPathError } from '../config/local-path.js';
import { lazyRequire } from '../lazy-require.js';
import { boundHeapGrowth } from './memory-trim.js';
import { tierUpSooner } from './v8-tiering.js';

/** commander, loaded by the commands that need it (a plain run line does not: run-argv.ts). */
const commander = lazyRequire<typeof import('commander')>('commander');

export interface CliDeps extends RunDeps {
  stdout: (text: string) => void;
}

const RUN_EXAMPLE = 'capped run --max-usd 1.50 -- claude';

interface RawRunOptions {
  record?: string;
  summaryHtml?: string;
}

/** capped's commands, in the order `capped --help` lists them. */
export const COMMAND_NAMES = ['run', 'phase', 'config', 'init', 'runs', 'report', 'doctor', 'agents'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/**
 * The commands a command line needs defined: the one it names (or `help` names), else all of them
 * (the command list, commander's did-you-mean), and none for the version. Every command's module
 * is loaded only when it is defined, so `capped --version` loads commander and little else.
 * (capped's own options take no values, so the first word that is not an option names the command.)
 */
export function commandsFor(head: readonly string[]): readonly CommandName[] {
  const words = head.filter((arg) => !arg.startsWith('-'));
  const named = words[0] === 'help' ? words[1] : words[0];
  if (named !== undefined) return (COMMAND_NAMES as readonly string[]).includes(named) ? [named as CommandName] : COMMAND_NAMES;
  return head.includes('-v') || head.includes('--version') ? [] : COMMAND_NAMES;
}

/**
 * Builds the commander program with the `commands` given (default: all). `agentCommand` is
 * everything after the first `--` (null when there was none): capped splits it off itself so no
 * agent flag is ever read as capped's.
 */
export async function createProgram(
  deps: CliDeps,
  agentCommand: string[] | null,
  setExit: (code: number) => void,
  commands: readonly CommandName[] = COMMAND_NAMES,
): Promise<Command> {
  // version.js is `--version`'s own small entry in the bundle: imported here, it stays out of `core`.
  const { Command } = commander();
  const { packageVersion } = await import('./version.js');
  const program = new Command('capped')
    .description('Hard spend caps for AI coding-agent sessions: meter every request, stop at the limit.')
    .version(packageVersion(), '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr, outputError: (text, write) => write(asCappedError(text)) })
    .showHelpAfterError('capped: run `capped --help` for usage');
  const ledgerDeps = {
    ...deps,
    ledgerSettings: async () => {
      const { loadPolicy } = await import('../config/load.js');
      const p = loadPolicy({ cwd: deps.cwd, env: deps.env }).policy;
      return { url: p.ledger.url, retentionDays: p.retentionDays };
    },
  };
  // Loaded together, defined in order.
  const define = await Promise.all(
    commands.map(async (name): Promise<() => void> => {
      switch (name) {
        case 'run':
          return () => defineRun(program, deps, agentCommand, setExit);
        case 'phase': {
          const { registerPhaseCommand } = await import('./phase.js');
          return () => registerPhaseCommand(program, deps);
        }
        case 'config': {
          const { registerConfigCommand } = await import('./config.js');
          return () => registerConfigCommand(program, deps);
        }
        case 'init': {
          const { registerInitCommand } = await import('./init.js');
          return () => registerInitCommand(program, deps);
        }
        case 'runs': {
          const { registerRunsCommand } = await import('./runs.js');
          return () => registerRunsCommand(program, ledgerDeps);
        }
        case 'report': {
          const { registerReportCommand } = await import('./report.js');
          return () => registerReportCommand(program, ledgerDeps);
        }
        case 'doctor': {
          const { registerDoctorCommand } = await import('./doctor.js');
          return () => registerDoctorCommand(program, deps, setExit);
        }
        case 'agents':
          return () => defineAgents(program, deps);
      }
    }),
  );
  for (const fn of define) fn();
  return program;
}

function defineRun(program: Command, deps: CliDeps, agentCommand: string[] | null, setExit: (code: number) => void): void {
  const run = program
    .command('run')
    .summary('run an agent under a spending cap')
    .description(
      'Run an agent with its API traffic metered by a local proxy, and stop it at the cap. ' +
        'Everything after `--` is the agent command, passed through untouched.',
    )
    .usage('[options] -- <command> [args...]')
    .argument('[command...]', 'the agent command, after `--`');
  for (const o of RUN_OWN_OPTIONS) run.option(o.option, o.description);
  flags
    .addPolicyOptions(run)
    // Anything not capped's own goes to `unexpected`, so a forgotten `--` gets the hint below
    // rather than commander's "unknown option".
    .allowUnknownOption()
    .addHelpText('after', `\nExample:\n  ${RUN_EXAMPLE}\n  capped run --max-usd 5 --record run.json -- codex exec "fix the tests"`)
    .action(async (unexpected: string[], raw: RawRunOptions & Record<string, unknown>) => {
      if (unexpected.length > 0 && agentCommand === null) {
        throw new UsageError(`\`capped run\` needs the agent command after \`--\` (got \`${unexpected.join(' ')}\`), e.g.\n  ${RUN_EXAMPLE}`);
      }
      if (unexpected.length > 0) {
        const what = unexpected[0]!.startsWith('-') ? 'unknown option' : 'unexpected argument';
        throw new UsageError(
          `${what} \`${unexpected[0]}\` before \`--\`; see \`capped run --help\`. The agent command goes after \`--\`, e.g.\n  ${RUN_EXAMPLE}`,
        );
      }
      if (agentCommand === null || agentCommand.length === 0) {
        throw new UsageError(`\`capped run\` needs the agent command after \`--\`, e.g.\n  ${RUN_EXAMPLE}`);
      }
      setExit(await startRun(agentCommand, raw, deps));
    });
}

/** `capped run` once its line is parsed: the policy (flags over files), then the run itself. */
async function startRun(agentCommand: string[], raw: RawRunOptions & Record<string, unknown>, deps: CliDeps): Promise<number> {
  // First of all, so that a signal during start-up reaches the agent instead of killing capped.
  const signals = holdSignals(deps.signals);
  try {
    // Loaded here: the policy files, the proxy, the ledger and the supervisor are for `run` only.
    const [{ loadPolicy }, { runCommand }] = await Promise.all([import('../config/load.js'), import('./run.js')]);
    const policy = loadPolicy({ cwd: deps.cwd, env: deps.env, flags: flags.flagLayer(raw) });
    for (const warning of policy.warnings) deps.stderr(`capped: warning: ${warning}\n`);
    return await runCommand(agentCommand, { policy, record: raw.record ?? null, summaryHtml: raw.summaryHtml ?? null, signals }, deps);
  } finally {
    signals.release();
  }
}

function defineAgents(program: Command, deps: CliDeps): void {
  program
    .command('agents')
    .summary('list the agents capped recognises and how it redirects each')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { agentRows, formatAgents } = await import('./agents.js');
      const rows = agentRows();
      deps.stdout(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatAgents(rows));
    });
}

/** Commander's own errors (`error: unknown option '--bogus'`) in capped's voice: every line `capped: `. */
export function asCappedError(text: string): string {
  return text
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => (line === '' ? line : `capped: ${line}`))
    .join('\n');
}

/** Parses argv, runs the command, and returns the exit code; never calls process.exit. */
export async function main(argv: string[], deps: CliDeps = processDeps()): Promise<number> {
  const dashes = argv.indexOf('--');
  const head = dashes === -1 ? argv : argv.slice(0, dashes);
  const agentCommand = dashes === -1 ? null : argv.slice(dashes + 1);
  try {
    // A plain `capped run [options] -- <command>` starts without commander; any other line, and
    // any line the quick reading does not take whole, is commander's.
    const quick = agentCommand !== null && agentCommand.length > 0 ? quickRunOptions(head) : null;
    if (quick) return await startRun(agentCommand!, quick, deps);
    return await viaCommander(head, agentCommand, deps);
  } catch (err) {
    if (err instanceof LocalPathError) {
      deps.stderr(`capped: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof FatalError) {
      deps.stderr(`capped: ${err.message}\n`);
      return err.exitCode;
    }
    deps.stderr(`capped: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.internal;
  }
}

async function viaCommander(head: string[], agentCommand: string[] | null, deps: CliDeps): Promise<number> {
  let code: number = EXIT.ok;
  const program = await createProgram(deps, agentCommand, (c) => (code = c), commandsFor(head));
  const { CommanderError } = commander();
  if (head.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(head, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw err;
  }
}

/** The real process's dependencies: its streams, signals and V8 (exported for the test that checks tuneV8). */
export function processDeps(): CliDeps {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    // isatty, not process.stdin.isTTY: a stdin that is not a terminal would be opened as a
    // stream (2-3 ms of fs streams at start) that nothing reads, on the fd the agent inherits.
    stdinIsTTY: tty.isatty(0),
    stdoutIsTTY: tty.isatty(1),
    stderrIsTTY: tty.isatty(2),
    now: () => new Date(),
    signals: process,
    tuneV8: () => {
      const unbound = boundHeapGrowth();
      const untier = tierUpSooner();
      return () => {
        untier();
        unbound();
      };
    },
  };
}
