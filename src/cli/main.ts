import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { agentRows, formatAgents } from './agents.js';
import { addPolicyOptions, flagLayer, loadPolicy } from '../config/index.js';
import { registerConfigCommand } from './config.js';
import { registerDoctorCommand } from './doctor.js';
import { registerInitCommand } from './init.js';
import { registerPhaseCommand } from './phase.js';
import { registerReportCommand } from './report.js';
import { registerRunsCommand } from './runs.js';
import { EXIT, FatalError, UsageError } from '../errors.js';
import { runCommand, type RunDeps } from './run.js';
import { LocalPathError } from '../config/local-path.js';

export interface CliDeps extends RunDeps {
  stdout: (text: string) => void;
}

const RUN_EXAMPLE = 'capped run --max-usd 1.50 -- claude';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

interface RawRunOptions {
  record?: string;
  summaryHtml?: string;
}

/**
 * Builds the commander program. `agentCommand` is everything after the first `--` (null when
 * there was none): capped splits it off itself so no agent flag is ever read as capped's.
 */
export function createProgram(deps: CliDeps, agentCommand: string[] | null, setExit: (code: number) => void): Command {
  const program = new Command('capped')
    .description('Hard spend caps for AI coding-agent sessions: meter every request, stop at the limit.')
    .version(version(), '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr, outputError: (text, write) => write(asCappedError(text)) })
    .showHelpAfterError('capped: run `capped --help` for usage');

  const run = program
    .command('run')
    .summary('run an agent under a spending cap')
    .description(
      'Run an agent with its API traffic metered by a local proxy, and stop it at the cap. ' +
        'Everything after `--` is the agent command, passed through untouched.',
    )
    .usage('[options] -- <command> [args...]')
    .option('--record <file>', 'write the run record (JSON) to this file when the run ends')
    .option('--summary-html <file>', "write the run's page (HTML, its spend curve) to this file when the run ends")
    .argument('[command...]', 'the agent command, after `--`');
  addPolicyOptions(run)
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
        throw new UsageError(`${what} \`${unexpected[0]}\` before \`--\`; see \`capped run --help\`. The agent command goes after \`--\`, e.g.\n  ${RUN_EXAMPLE}`);
      }
      if (agentCommand === null || agentCommand.length === 0) {
        throw new UsageError(`\`capped run\` needs the agent command after \`--\`, e.g.\n  ${RUN_EXAMPLE}`);
      }
      const policy = loadPolicy({ cwd: deps.cwd, env: deps.env, flags: flagLayer(raw) });
      for (const warning of policy.warnings) deps.stderr(`capped: warning: ${warning}\n`);
      setExit(await runCommand(agentCommand, { policy, record: raw.record ?? null, summaryHtml: raw.summaryHtml ?? null }, deps));
    });

  registerPhaseCommand(program, deps);
  registerConfigCommand(program, deps);
  registerInitCommand(program, deps);
  const ledgerDeps = {
    ...deps,
    ledgerSettings: () => {
      const p = loadPolicy({ cwd: deps.cwd, env: deps.env }).policy;
      return { url: p.ledger.url, retentionDays: p.retentionDays };
    },
  };
  registerRunsCommand(program, ledgerDeps);
  registerReportCommand(program, ledgerDeps);
  registerDoctorCommand(program, deps, setExit);

  program
    .command('agents')
    .summary('list the agents capped recognises and how it redirects each')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const rows = agentRows();
      deps.stdout(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatAgents(rows));
    });

  return program;
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
  let code: number = EXIT.ok;
  const program = createProgram(deps, agentCommand, (c) => (code = c));
  if (head.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(head, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
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

function processDeps(): CliDeps {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    now: () => new Date(),
    signals: process,
  };
}
