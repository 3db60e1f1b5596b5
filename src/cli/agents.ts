import { proxyEndpoints } from '../proxy/mounts.js';
import { GENERIC_RECIPE, RECIPES, type Recipe } from '../supervisor/agent-recipes.js';

export interface AgentRow {
  id: string;
  name: string;
  executables: readonly string[];
  env: Record<string, string>;
  args: string[];
  verified: string;
}

/** What each recipe sets, with `<proxy>` standing for the per-run proxy origin. */
export function agentRows(): AgentRow[] {
  const endpoints = proxyEndpoints('<proxy>');
  return [...RECIPES, GENERIC_RECIPE].map((r: Recipe) => ({
    id: r.id,
    name: r.name,
    executables: r.executables,
    env: r.env(endpoints, {}),
    args: r.args?.(endpoints) ?? [],
    verified: r.verified,
  }));
}

/** `capped agents`: the recipes as a readable list (or JSON). */
export function formatAgents(rows: readonly AgentRow[]): string {
  const lines = ['Agents capped recognises by their executable, and how each is redirected to its proxy:', ''];
  for (const row of rows) {
    const what = row.executables.length > 0 ? `${row.name} (${row.executables.join(', ')})` : row.name;
    lines.push(`  ${what}`);
    if (row.args.length > 0) lines.push(`    arguments  ${row.args.join(' ')}`);
    for (const [key, value] of Object.entries(row.env)) {
      const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
      lines.push(`    env        ${key}=${shown}`);
    }
    lines.push(`    verified   ${row.verified}`, '');
  }
  lines.push('<proxy> is the per-run address http://127.0.0.1:<port>/<secret>. A base URL you already set becomes the upstream.');
  return `${lines.join('\n')}\n`;
}
