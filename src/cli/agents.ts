import { proxyEndpoints, routeEndpoints } from '../proxy/mounts.js';
import { GENERIC_RECIPE, RECIPES, type Recipe } from '../supervisor/agent-recipes.js';

export interface AgentRow {
  id: string;
  name: string;
  executables: readonly string[];
  /** How capped sends the agent's traffic through its proxy. */
  redirect: string;
  /** The agent's settings capped reads to find its upstreams. */
  reads: readonly string[];
  /** What capped sets with no settings of the user's own: variables and inserted arguments. */
  env: Record<string, string>;
  args: string[];
  verified: string;
}

/** What the agent gets when nothing of the user's is set: its executable alone, no files, no variables. */
function defaults(r: Recipe): { env: Record<string, string>; args: string[] } {
  const command = [r.executables[0] ?? 'program'];
  const plan = r.plan({ command, env: {}, cwd: '/nonexistent', home: '/nonexistent', readFile: () => null });
  const launch = plan.launch({ endpoints: proxyEndpoints('<proxy>'), routes: routeEndpoints('<proxy>', plan.routes), dir: '<run-dir>' });
  return { env: launch.env, args: launch.argv.slice(1) };
}

/** Each recipe, with `<proxy>` standing for the per-run proxy origin. */
export function agentRows(): AgentRow[] {
  return [...RECIPES, GENERIC_RECIPE].map((r: Recipe) => ({
    id: r.id,
    name: r.name,
    executables: r.executables,
    redirect: r.redirect,
    reads: r.reads,
    ...defaults(r),
    verified: r.verified,
  }));
}

/** `capped agents`: the recipes as a readable list (or JSON). */
export function formatAgents(rows: readonly AgentRow[]): string {
  const lines = ['Agents capped recognises by their executable, how each is sent through its proxy, and what of its own settings capped reads:', ''];
  for (const row of rows) {
    const what = row.executables.length > 0 ? `${row.name} (${row.executables.join(', ')})` : row.name;
    lines.push(`  ${what}`);
    lines.push(`    redirect   ${row.redirect}`);
    for (const read of row.reads) lines.push(`    reads      ${read}`);
    if (row.args.length > 0) lines.push(`    arguments  ${row.args.join(' ')}`);
    for (const [key, value] of Object.entries(row.env)) {
      const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
      lines.push(`    env        ${key}=${shown}`);
    }
    lines.push(`    verified   ${row.verified}`, '');
  }
  lines.push(
    '<proxy> is the per-run address http://127.0.0.1:<port>/<secret>. A base URL the agent would use (its flag, its settings',
    'file or your variable) becomes the upstream; a setting capped cannot rewrite stops the run before it starts (exit 2).',
  );
  return `${lines.join('\n')}\n`;
}
