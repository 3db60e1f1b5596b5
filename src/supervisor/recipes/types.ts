import type { Family, ProxyEndpoints, Route } from '../../model/endpoints.js';

export type { Family, ProxyEndpoints, Route };

/** What a recipe may look at before launch. */
export interface RecipeContext {
  command: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  /** The file's text, or null when it cannot be read. */
  readFile(file: string): string | null;
}

export interface LaunchContext {
  endpoints: ProxyEndpoints;
  /** capped's address for each of the plan's routes, in order. */
  routes: readonly string[];
  /** A private directory that lives as long as the run, for settings files given to the agent. */
  dir: string;
}

export interface Launch {
  argv: string[];
  env: Record<string, string>;
  /** Files to write (path → content) before the agent starts; removed when the run ends. */
  files: Record<string, string>;
}

/** A recipe's reading of the agent's settings for one run. */
export interface AgentPlan {
  routes: Route[];
  warning?: string;
  launch(at: LaunchContext): Launch;
}

export interface Recipe {
  id: string;
  /** What people call it. */
  name: string;
  /** Executable names that identify it. */
  executables: readonly string[];
  /** How capped sends its traffic through the proxy (for `capped agents`). */
  redirect: string;
  /** The agent's settings capped reads to find where it would send requests. */
  reads: readonly string[];
  /** What `capped agents` says about how it was checked. */
  verified: string;
  /** Reads the agent's settings; throws SettingRefusal when one would let it bypass capped. */
  plan(ctx: RecipeContext): AgentPlan;
}

/** A setting under which the agent would talk to its provider directly: capped does not start. */
export class SettingRefusal extends Error {}
