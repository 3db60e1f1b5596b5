import os from 'node:os';
import fs from 'node:fs';
import type { Caps, EnginePolicy } from '../budget/types.js';
import type { LoadedPolicy } from '../config/load.js';
import { describeSource } from '../config/sources.js';
import { quoteAnyProvider } from '../pricing/any-provider.js';
import { createPriceBook, type PriceBook } from '../pricing/price-book.js';
import { buildMounts, UpstreamUrlError } from '../proxy/mounts.js';
import type { Mount } from '../proxy/proxy-deps.js';
import { recipeFor, SettingRefusal, type AgentPlan, type Recipe } from '../supervisor/agent-recipes.js';
import { UsageError } from '../errors.js';
import { enginePolicyOf } from './run-policy.js';
import type { RunDeps } from './run-deps.js';

export interface Preflight {
  /** A person at a terminal: the agent runs in a PTY under the budget bar, and questions can be asked. */
  interactive: boolean;
  caps: Caps;
  enginePolicy: EnginePolicy;
  prices: PriceBook;
  mounts: Map<string, Mount>;
  recipe: Recipe;
  /** What the agent's own settings say, and how it is launched through the proxy. */
  plan: AgentPlan;
}

function readTextFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Everything `capped run` checks before it starts anything: a bad policy, an unpriced model, a
 * broken upstream URL or an agent set up to bypass the proxy is a usage error (exit 2).
 */
export function preflight(command: readonly string[], policy: LoadedPolicy, deps: RunDeps): Preflight {
  const p = policy.policy;
  const interactive = deps.stdinIsTTY && deps.stdoutIsTTY === true;
  if (!interactive && !p.unattended) {
    const source = policy.sources.unattended ? describeSource(policy.sources.unattended) : 'the policy';
    throw new UsageError(`This run's policy does not allow running with nobody at the keyboard (unattended: false, from ${source}); run it from a terminal.`);
  }
  if (p.onLimit === 'pause' && p.daily === null && p.weekly === null) {
    throw new UsageError(
      '`--on-limit pause` waits for the next budget window: set `daily` or `weekly` (in .budgetrc, or CAPPED_DAILY / CAPPED_WEEKLY) to use it.',
    );
  }
  const { caps, engine: enginePolicy } = enginePolicyOf(p, interactive);
  const prices = deps.prices ?? createPriceBook(undefined, p.prices);
  // A model named in the policy must have a price: otherwise escalation rules or the downgrade
  // would silently do nothing.
  for (const [flag, model] of [
    ['--model', p.model],
    ['--downgrade-to', p.downgradeTo],
  ] as const) {
    if (model !== null && quoteAnyProvider(prices, model) === null) {
      throw new UsageError(`No price is known for model "${model}" (${flag}). Check the name, or price it under \`prices\` in .budgetrc.`);
    }
  }
  const recipe = recipeFor(command);
  let plan: AgentPlan;
  try {
    plan = recipe.plan({ command, env: deps.env, cwd: deps.cwd, home: deps.env.HOME ?? os.homedir(), readFile: readTextFile });
  } catch (err) {
    if (err instanceof SettingRefusal) throw new UsageError(err.message);
    throw err;
  }
  let mounts: Map<string, Mount>;
  try {
    mounts = buildMounts(deps.env, plan.routes);
  } catch (err) {
    if (err instanceof UpstreamUrlError) throw new UsageError(err.message);
    throw err;
  }
  return { interactive, caps, enginePolicy, prices, mounts, recipe, plan };
}
