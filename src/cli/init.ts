import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { renderBudgetrc } from '../config/budgetrc-template.js';
import { findPolicyFile, POLICY_FILE_NAME } from '../config/discover.js';
import { PRESET_NAMES } from '../config/schema.js';
import type { PresetName } from '../config/types.js';
import { UsageError } from '../errors.js';

/** What `capped init` needs: the directory to write in, and output. */
export interface InitCommandDeps {
  cwd: string;
  stdout: (text: string) => void;
}

export interface InitOptions {
  /** Preset the file starts from (default: individual). */
  policy?: string;
  /** Overwrite an existing `.budgetrc`. */
  force?: boolean;
}

function presetOf(raw: string | undefined): PresetName {
  if (raw === undefined) return 'individual';
  const name = raw.trim();
  if ((PRESET_NAMES as readonly string[]).includes(name)) return name as PresetName;
  throw new UsageError(`Expected \`--policy\` to be one of ${PRESET_NAMES.join(', ')}, got \`${raw}\`.`);
}

/** `capped init`: writes a commented `.budgetrc` for a preset in `cwd`; never overwrites unless forced. */
export function initCommand(deps: InitCommandDeps, options: InitOptions = {}): string {
  const preset = presetOf(options.policy);
  const file = path.join(deps.cwd, POLICY_FILE_NAME);
  const outer = findPolicyFile(path.dirname(deps.cwd));
  try {
    writeFileSync(file, renderBudgetrc(preset), { flag: options.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`${file} already exists; use \`capped init --force\` to overwrite it.`);
    }
    throw new UsageError(`Could not write ${file}: ${(err as Error).message}`);
  }
  deps.stdout(`Wrote ${file} (policy ${preset}). Check the effective policy with \`capped config\`.\n`);
  if (outer !== null && path.dirname(outer) !== deps.cwd) {
    deps.stdout(`Note: runs under ${deps.cwd} now use this file instead of ${outer} (the nearest .budgetrc applies; files are not merged).\n`);
  }
  return file;
}

/** Adds `capped init [--policy P] [--force]` to the program. */
export function registerInitCommand(program: Command, deps: InitCommandDeps): Command {
  return program
    .command('init')
    .summary('write a commented .budgetrc for a policy preset in the current directory')
    .option('--policy <preset>', `preset to start from: ${PRESET_NAMES.join(', ')} (default: individual)`)
    .option('--force', 'overwrite an existing .budgetrc')
    .action((options: InitOptions) => {
      initCommand(deps, options);
    });
}
