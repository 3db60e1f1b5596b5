import type { Phase } from './types.js';

/** A tool call as the phase rules see it: its name and its input as JSON text. */
export interface CalledTool {
  name: string;
  input: string;
}

/**
 * Commands that verify work rather than change it: test runners, linters, type checkers and
 * builds across common ecosystems. Matched against a shell command anywhere in it.
 */
export const DEFAULT_VERIFY_PATTERNS: readonly string[] = [
  '\\b(npm|pnpm|yarn|bun)\\s+(run\\s+)?(test|lint|typecheck|type-check|check|build)\\b',
  '\\b(npx\\s+)?(vitest|jest|mocha|ava|playwright\\s+test|cypress\\s+run|eslint|biome|prettier\\s+--check|tsc|oxlint)\\b',
  '\\b(pytest|tox|nox|ruff|flake8|pylint|mypy|pyright|black\\s+--check)\\b',
  '\\bpython3?\\s+-m\\s+(pytest|unittest|mypy)\\b',
  '\\bgo\\s+(test|vet|build)\\b',
  '\\bgolangci-lint\\b',
  '\\bcargo\\s+(test|check|clippy|build|nextest)\\b',
  '\\b(mvn|mvnw|gradle|gradlew)\\b.*\\b(test|verify|check|build|package)\\b',
  '\\bdotnet\\s+(test|build)\\b',
  '\\b(rspec|rubocop|phpunit|phpstan|ctest|swift\\s+test|mix\\s+test|dart\\s+test|flutter\\s+test)\\b',
  '\\bmake\\s+(test|check|lint|build)\\b',
  '\\bbundle\\s+exec\\s+(rspec|rake\\s+test)\\b',
];

/** Tools that run a shell command (Claude Code, Codex, Gemini CLI, aider/goose/opencode). */
const SHELL_TOOLS = /^(bash|shell|exec_command|local_shell|run_shell_command|container\.exec|execute_command|developer__shell|run_terminal_cmd)$/i;
/** Tools that change files: the agent is implementing again. */
const EDIT_TOOLS = /^(edit|multiedit|write|notebookedit|apply_patch|str_replace_editor|str_replace_based_edit_tool|replace|write_file|edit_file|create_file|developer__text_editor|patch)$/i;

/** The shell command a tool call runs, from its input (`command` as text or argv, or `cmd`). */
export function shellCommand(call: CalledTool): string | null {
  if (!SHELL_TOOLS.test(call.name)) return null;
  let input: unknown;
  try {
    input = JSON.parse(call.input);
  } catch {
    return call.input;
  }
  if (typeof input !== 'object' || input === null) return typeof input === 'string' ? input : null;
  const record = input as Record<string, unknown>;
  const command = record.command ?? record.cmd ?? record.script;
  if (typeof command === 'string') return command;
  if (Array.isArray(command)) return command.filter((x) => typeof x === 'string').join(' ');
  return null;
}

/**
 * The phase the agent is in after these tool calls, or null when they say nothing about it: a
 * verification command moves it to verification; a file edit moves it back to implementation.
 */
export function phaseAfter(calls: readonly CalledTool[], patterns: readonly RegExp[]): Phase | null {
  let phase: Phase | null = null;
  for (const call of calls) {
    if (EDIT_TOOLS.test(call.name)) phase = 'implementation';
    const command = shellCommand(call);
    if (command !== null && patterns.some((p) => p.test(command))) phase = 'verification';
  }
  return phase;
}

export function compilePatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => new RegExp(p, 'i'));
}
