import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadPolicy, policyRows, type LoadedPolicy } from '../config/index.js';
import { dataDir } from '../ledger/data-dir.js';
import type { Ledger } from '../ledger/ledger.js';
import { usableDir } from '../config/local-path.js';
import { openLedger, resolveLedgerUrl, type OpenLedgerOptions } from '../ledger/open-ledger.js';
import { buildMounts } from '../proxy/mounts.js';
import { RECIPES } from '../supervisor/agent-recipes.js';
import { resolveCommand } from '../supervisor/pty-command.js';
import { lazyRequire } from '../lazy-require.js';

/** The oldest Node.js major capped supports (package.json `engines`). */
export const MIN_NODE_MAJOR = 20;

export type CheckStatus = 'ok' | 'info' | 'problem';

export interface Check {
  status: CheckStatus;
  /** What was checked: `node`, `CAPPED_HOME`, `ledger`, `agent codex`, … */
  what: string;
  detail: string;
}

export interface DoctorDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** `process.versions.node`. */
  nodeVersion: string;
  /** `<file> --version`'s first line, or null when it fails or takes too long. */
  versionOf?: (file: string) => Promise<string | null>;
  /** Starts a program in a pseudo-terminal and resolves with its exit code; throws when no PTY can be had. */
  ptyProbe?: () => Promise<number>;
  openLedger?: (opts: OpenLedgerOptions) => Promise<Ledger>;
}

/** Runs every check, prints them and what a run would use, and returns the exit code (0 or 1). */
export async function doctorAction(deps: DoctorDeps): Promise<number> {
  const checks: Check[] = [checkNode(deps.nodeVersion), checkHome(deps.env)];
  let loaded: LoadedPolicy | null = null;
  try {
    loaded = loadPolicy({ cwd: deps.cwd, env: deps.env });
    for (const warning of loaded.warnings) checks.push({ status: 'info', what: 'policy', detail: `warning: ${warning}` });
  } catch (err) {
    // Any failure to assemble the policy (a broken file, an unusable config directory) is a problem to list, not a crash.
    const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
    for (const problem of problems) checks.push({ status: 'problem', what: 'policy', detail: problem });
  }
  const [[ledger, ledgerLocation], terminal, proxy, ...agents] = await Promise.all([
    checkLedger(deps, loaded),
    checkTerminal(deps.ptyProbe ?? probePty),
    checkProxy(deps.env),
    ...RECIPES.map((r) => checkAgent(r.name, r.executables, deps)),
  ]);
  checks.push(ledger, terminal, proxy, ...agents);

  const width = Math.max(...checks.map((c) => c.what.length));
  let out = 'capped doctor\n';
  for (const c of checks) out += `  ${c.status.padEnd(7)}  ${c.what.padEnd(width)}  ${firstLine(c.detail)}\n`;
  if (loaded) out += `\nA run here would use:\n${wouldUse(loaded, ledgerLocation, deps)}`;
  const problems = checks.filter((c) => c.status === 'problem');
  out += problems.length === 0 ? '\nAll checks passed.\n' : '';
  deps.stdout(out);
  for (const p of problems) deps.stderr(`capped: ${p.what}: ${firstLine(p.detail)}\n`);
  return problems.length === 0 ? 0 : 1;
}

/** One line per check: a message's later lines (a stack, a list of paths tried) are dropped. */
function firstLine(text: string): string {
  return text.split('\n')[0]!.replace(/:\s*$/, '');
}

export function checkNode(version: string): Check {
  const major = Number(version.split('.')[0]);
  return major >= MIN_NODE_MAJOR
    ? { status: 'ok', what: 'node', detail: `Node.js ${version}` }
    : { status: 'problem', what: 'node', detail: `Node.js ${version} is too old: capped needs ${MIN_NODE_MAJOR} or newer` };
}

/** CAPPED_HOME (or its default) exists or can be made, and takes a file: the ledger and config live there. */
export function checkHome(env: NodeJS.ProcessEnv): Check {
  const dir = dataDir(env);
  const what = 'CAPPED_HOME';
  try {
    // The ledger's own check: one level at a time, so a path under /proc cannot hang.
    usableDir(dir, what);
    const probe = path.join(dir, `.doctor-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
    return { status: 'ok', what, detail: `${dir} (writable${env.CAPPED_HOME ? '' : '; CAPPED_HOME unset, the default'})` };
  } catch (err) {
    return { status: 'problem', what, detail: `${dir} is not usable (${(err as Error).message}): set CAPPED_HOME to a writable directory` };
  }
}

/** Opens the ledger a run would write to (SQLite, or PostgreSQL when a URL is set); also returns where it is. */
async function checkLedger(deps: DoctorDeps, loaded: LoadedPolicy | null): Promise<[Check, string]> {
  const what = 'ledger';
  // Its URL comes from the policy layers; their problems are already listed once.
  if (loaded === null) return [{ status: 'info', what, detail: 'not checked: fix the policy problems first' }, 'unknown'];
  let ledger: Ledger;
  try {
    const url = resolveLedgerUrl(undefined, deps.env, loaded.policy.ledger.url);
    ledger = await (deps.openLedger ?? openLedger)({ url, dataDir: dataDir(deps.env) });
  } catch (err) {
    const message = (err as Error).message;
    // better-sqlite3 without its compiled binary lists a dozen paths it tried: say what to do instead.
    const detail = /bindings file|better_sqlite3\.node/.test(message)
      ? `the SQLite module better-sqlite3 has no compiled binary (${firstLine(message)}): reinstall capped ` +
        `where python3, make and g++ are available so it can compile`
      : message;
    return [{ status: 'problem', what, detail }, 'unavailable (see above)'];
  }
  try {
    const where = `${ledger.location.endsWith('.db') ? 'SQLite' : 'PostgreSQL'} at ${ledger.location}`;
    return [{ status: 'ok', what, detail: `${where} (opened, schema up to date)` }, where];
  } finally {
    await ledger.close();
  }
}

async function checkTerminal(probe: () => Promise<number>): Promise<Check> {
  const what = 'terminal';
  try {
    const code = await probe();
    if (code === 0) return { status: 'ok', what, detail: 'a pseudo-terminal can be opened (@lydell/node-pty): at a terminal, runs show the live bar' };
    return { status: 'problem', what, detail: `a program started in a pseudo-terminal exited ${code} instead of 0` };
  } catch (err) {
    return {
      status: 'problem',
      what,
      detail:
        `no pseudo-terminal (${(err as Error).message}): runs at a terminal cannot show the bar; reinstall ` +
        `capped so @lydell/node-pty's binary matches this Node.js`,
    };
  }
}

const nodePty = lazyRequire<typeof import('@lydell/node-pty')>('@lydell/node-pty');

/** Runs `node -e ''` in a PTY with the module `capped run` uses, with a time limit. */
async function probePty(): Promise<number> {
  const pty = nodePty();
  return new Promise((resolve, reject) => {
    const child = pty.spawn(process.execPath, ['-e', ''], { cols: 80, rows: 24, env: { PATH: process.env.PATH ?? '' } });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the program did not exit within 10 s'));
    }, 10_000);
    child.onExit(({ exitCode }) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
}

/** The proxy listens on 127.0.0.1 on a free port: check one can be had, and the upstreams are valid URLs. */
async function checkProxy(env: NodeJS.ProcessEnv): Promise<Check> {
  const what = 'proxy';
  try {
    buildMounts(env);
  } catch (err) {
    return { status: 'problem', what, detail: (err as Error).message };
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => server.close(() => resolve()));
    });
    return { status: 'ok', what, detail: 'can listen on 127.0.0.1 (a free port per run)' };
  } catch (err) {
    return { status: 'problem', what, detail: `cannot listen on 127.0.0.1 (${(err as Error).message})` };
  }
}

/** An agent not installed is information, not a failure: capped runs whatever is. */
async function checkAgent(name: string, executables: readonly string[], deps: DoctorDeps): Promise<Check> {
  const what = `agent ${executables[0]}`;
  for (const exe of executables) {
    let file: string;
    try {
      file = resolveCommand(exe, deps.env, deps.cwd);
    } catch {
      continue;
    }
    const version = await (deps.versionOf ?? versionOf)(file);
    return { status: 'ok', what, detail: `${name} ${version ?? '(version unknown: `--version` failed)'} at ${file}` };
  }
  return { status: 'info', what, detail: `${name} not found on PATH (${executables.join(', ')}); install it to run it under capped` };
}

function versionOf(file: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: 15_000, encoding: 'utf8' }, (err, stdout) => {
      const line = stdout.trim().split('\n')[0]?.trim();
      resolve(err || !line ? null : line);
    });
  });
}

function wouldUse(loaded: LoadedPolicy, ledger: string, deps: DoctorDeps): string {
  const rows = new Map(policyRows(loaded).map((r) => [r.key, r]));
  const setting = (key: string): string => `${rows.get(key)?.value ?? '?'} (${rows.get(key)?.source ?? '?'})`;
  let upstreams: string;
  try {
    upstreams = [...buildMounts(deps.env)]
      .filter(([name]) => name !== 'openai-host')
      .map(([name, m]) => `${name} → ${m.upstream.url.origin}${m.upstream.url.pathname.replace(/\/$/, '')}`)
      .join(', ');
  } catch {
    upstreams = 'not usable (see the proxy problem above)';
  }
  const lines = [
    ['policy', loaded.file ?? `built-in defaults and your settings (no .budgetrc from ${deps.cwd} up)`],
    ['max spend', setting('maxUsd')],
    ['on limit', setting('onLimit')],
    ['ledger', ledger],
    ['proxy', `127.0.0.1, a free port and a per-run secret; upstreams ${upstreams}`],
  ];
  const width = Math.max(...lines.map(([k]) => k!.length));
  return lines.map(([k, v]) => `  ${k!.padEnd(width)}  ${v}\n`).join('');
}

/** Registers `capped doctor`. */
export function registerDoctorCommand(program: Command, deps: Omit<DoctorDeps, 'nodeVersion'>, setExit: (code: number) => void): Command {
  return program
    .command('doctor')
    .summary('check that capped can run here, and show what a run would use')
    .description(
      'Check Node.js, CAPPED_HOME, the ledger, the terminal (PTY), the proxy and each agent capped knows, and show ' +
        'what a run here would use. Exits 1, with one line per problem on stderr, when something is wrong; an agent ' +
        'that is not installed is only information.',
    )
    .action(async () => setExit(await doctorAction({ ...deps, nodeVersion: process.versions.node })));
}
