import type { Phase } from './types.js';

/** A tool call as the phase rules see it: its name and its input as JSON text. */
export interface CalledTool {
  name: string;
  input: string;
}

/** Tools that run a shell command (Claude Code, Codex, Gemini CLI, aider/goose/opencode). */
const SHELL_TOOLS = /^(bash|shell|exec_command|local_shell|run_shell_command|container\.exec|execute_command|developer__shell|run_terminal_cmd)$/i;
/** Tools that change files: the agent is implementing again. */
const EDIT_TOOL_NAMES =
  'edit|multiedit|write|notebookedit|apply_patch|str_replace_editor|str_replace_based_edit_tool|' +
  'replace|write_file|edit_file|create_file|developer__text_editor|patch';
const EDIT_TOOLS = new RegExp(`^(${EDIT_TOOL_NAMES})$`, 'i');

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
