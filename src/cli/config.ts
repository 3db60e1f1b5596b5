import type { Command } from 'commander';
import { didYouMean } from '../config/did-you-mean.js';
import { loadPolicy } from '../config/load.js';
import { SETTING_KEYS } from '../config/schema.js';
import { formatPolicyTable, policyJson, policyRows } from '../config/show.js';
import { openUserConfig, userConfigReader } from '../config/user-config.js';
import { UsageError } from '../errors.js';

/** What `capped config` needs from the process: the surroundings to resolve in, and output. */
export interface ConfigCommandDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const SUBCOMMANDS = ['show', 'get', 'set', 'unset', 'list'];

/** A stored value as text: scalars plain (`1.5`, `10m`), lists and mappings as JSON. */
function asText(raw: unknown): string {
  return typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : String(raw);
}

/** `capped config [show]`: every effective value in `cwd` and where it came from. */
export function configShow(deps: ConfigCommandDeps, options: { json?: boolean } = {}): void {
  const loaded = loadPolicy({ cwd: deps.cwd, env: deps.env });
  for (const warning of loaded.warnings) deps.stderr(`capped: warning: ${warning}\n`);
  if (options.json) {
    deps.stdout(policyJson(loaded, loaded.userConfigPath));
    return;
  }
  const files = [`.budgetrc: ${loaded.file ?? 'none found'}`, `user config: ${loaded.userConfigPath ?? 'unavailable'}`];
  deps.stdout(`Effective policy in ${deps.cwd} (${files.join('; ')})\n\n${formatPolicyTable(policyRows(loaded))}`);
}

/** `capped config get <key>`: the user default for a key; nothing (and a note on stderr) when unset. */
export function configGet(deps: ConfigCommandDeps, key: string): void {
  const user = userConfigReader(deps.env);
  const raw = user.get(key);
  if (raw === undefined) deps.stderr(`capped: ${key} is not set in the user config (${user.path}).\n`);
  else deps.stdout(`${asText(raw)}\n`);
}

/** `capped config set <key> <value>`: validates the value like a `.budgetrc` would, then stores it. */
export async function configSet(deps: ConfigCommandDeps, key: string, value: string): Promise<void> {
  const user = await openUserConfig(deps.env);
  const result = user.set(key, value);
  const note = result.replaced === null ? '' : ` (and removed ${result.replaced}: ${result.key} takes its place)`;
  deps.stdout(`Set ${result.key} = ${asText(result.value)} in ${user.path}${note}.\n`);
}

/** `capped config unset <key>`: removes a user default. */
export async function configUnset(deps: ConfigCommandDeps, key: string): Promise<void> {
  const user = await openUserConfig(deps.env);
  const removed = user.unset(key);
  deps.stdout(removed ? `Removed ${key} from ${user.path}.\n` : `${key} was not set in ${user.path}.\n`);
}

/** `capped config list`: the user defaults as `key = value` lines (JSON with --json). */
export function configList(deps: ConfigCommandDeps, options: { json?: boolean } = {}): void {
  const user = userConfigReader(deps.env);
  const entries = user.read()?.entries ?? {};
  const stored = SETTING_KEYS.filter((key) => entries[key] !== undefined).map((key) => [key, user.get(key)] as const);
  if (options.json) {
    deps.stdout(`${JSON.stringify({ path: user.path, values: Object.fromEntries(stored) }, null, 2)}\n`);
    return;
  }
  if (stored.length === 0) deps.stderr(`capped: no user defaults in ${user.path}; set one with \`capped config set <key> <value>\`.\n`);
  for (const [key, raw] of stored) deps.stdout(`${key} = ${asText(raw)}\n`);
}

/** Adds `capped config` (show, get, set, unset, list) to the program. */
export function registerConfigCommand(program: Command, deps: ConfigCommandDeps): Command {
  const config = program
    .command('config')
    .summary('show the effective policy and where each value came from; manage user defaults')
    .description(
      'Show every effective policy value and its source (flags > CAPPED_* variables > .budgetrc > ' +
        'user defaults > preset > built-ins), or manage the user defaults kept in the user config.',
    );
  config
    .command('show', { isDefault: true })
    .summary('every effective value and its source (the default)')
    .option('--json', 'print JSON')
    // Excess words arrive here when they name no subcommand (`capped config lst`): say so plainly.
    .allowExcessArguments()
    .action((options: { json?: boolean }, command: Command) => {
      const unexpected = command.args[0];
      if (unexpected !== undefined) {
        const guess = didYouMean(unexpected, SUBCOMMANDS);
        const hint = guess === null ? '' : ` — did you mean \`capped config ${guess}\`?`;
        throw new UsageError(`Unknown config command \`${unexpected}\`${hint} The commands are ${SUBCOMMANDS.join(', ')}.`);
      }
      configShow(deps, options);
    });
  config
    .command('get')
    .summary('print a user default')
    .argument('<key>', 'a policy key, e.g. maxUsd or ledger.url')
    .action((key: string) => configGet(deps, key));
  config
    .command('set')
    .summary('validate and store a user default')
    .argument('<key>', 'a policy key, e.g. maxUsd')
    .argument('<value>', 'its value, as in a .budgetrc (lists: a,b or a JSON array)')
    .addHelpText('after', '\nExamples:\n  capped config set maxUsd 1.50\n  capped config set idle 15m\n  capped config set restrictedTools WebSearch,WebFetch')
    .action((key: string, value: string) => configSet(deps, key, value));
  config
    .command('unset')
    .summary('remove a user default')
    .argument('<key>', 'a policy key')
    .action((key: string) => configUnset(deps, key));
  config
    .command('list')
    .summary('list the user defaults')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => configList(deps, options));
  return config;
}
