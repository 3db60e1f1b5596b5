import { shellCommand } from './phases.js';
import type { ToolStep } from './tool-steps.js';

/** Tools that read one file, and the input fields that name it (Claude Code, Gemini CLI, Qwen, opencode, goose). */
const READ_TOOLS = /^(read|view|read_file|readfile|read_many_files|view_file|open_file|cat)$/i;
/** Editor tools that also read, when their `command` is `view` (Anthropic's text editor, goose). */
const EDITOR_TOOLS = /^(str_replace_editor|str_replace_based_edit_tool|developer__text_editor|text_editor)$/i;
const PATH_FIELDS = ['file_path', 'filePath', 'absolute_path', 'path', 'file', 'filename', 'target_file'] as const;

/** Shell commands that read the files they name; for the `pattern` ones the first operand is not a file. */
const SHELL_READERS: Readonly<Record<string, 'files' | 'pattern'>> = {
  cat: 'files',
  head: 'files',
  tail: 'files',
  less: 'files',
  more: 'files',
  nl: 'files',
  bat: 'files',
  sed: 'pattern',
  grep: 'pattern',
  egrep: 'pattern',
  rg: 'pattern',
};
/** Options of those commands that take the next word as their value. */
const VALUE_OPTIONS: Readonly<Record<'files' | 'pattern', ReadonlySet<string>>> = {
  files: new Set(['-n', '-c', '--lines', '--bytes']),
  pattern: new Set(['-e', '-f', '-m', '-A', '-B', '-C', '--max-count', '--regexp', '--file', '-g', '--glob', '-t', '--type']),
};

/** Splits a shell command into words, honouring quotes; operators (`&&`, `|`, `;`) are words of their own. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let started = false;
  const end = (): void => {
    if (started) words.push(word);
    word = '';
    started = false;
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (/\s/.test(c)) end();
    else if (c === '&' || c === '|' || c === ';') {
      end();
      const op = command[i + 1] === c ? c + c : c;
      words.push(op);
      i += op.length - 1;
    } else {
      word += c;
      started = true;
    }
  }
  end();
  return words;
}

/** The files one simple command (its words, without operators) reads. */
function commandTargets(words: string[]): string[] {
  // `bash -lc "cat x"` (Codex's argv form): the script is what runs.
  if (/^(ba|z)?sh$/.test(words[0] ?? '') && /^-l?c$/.test(words[1] ?? '')) return shellTargets(words.slice(2).join(' '));
  const kind = SHELL_READERS[words[0]?.split('/').pop() ?? ''];
  if (!kind) return [];
  const operands: string[] = [];
  let patternGiven = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (/^\d*[<>]/.test(w)) {
      if (/^\d*[<>]&?$/.test(w)) i++; // `> file`: the next word is where output goes
      continue;
    }
    if (w.startsWith('-') && w !== '-') {
      if (w === '-e' || w === '-f' || w === '--regexp' || w === '--file') patternGiven = true;
      if (VALUE_OPTIONS[kind].has(w)) i++;
      continue;
    }
    operands.push(w);
  }
  const files = kind === 'pattern' && !patternGiven ? operands.slice(1) : operands;
  return files.filter((f) => f !== '-' && !/^\+?\d+$/.test(f));
}

function shellTargets(command: string): string[] {
  const targets: string[] = [];
  let words: string[] = [];
  for (const w of [...shellWords(command), ';']) {
    if (w === '&&' || w === '||' || w === '|' || w === ';' || w === '&') {
      targets.push(...commandTargets(words));
      words = [];
    } else words.push(w);
  }
  return targets;
}

function parsed(input: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(input);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The paths a read tool's input names (one field, or a list such as Gemini CLI's read_many_files). */
function toolTargets(step: Pick<ToolStep, 'name' | 'input'>): string[] {
  const input = parsed(step.input);
  if (!input) return [];
  if (EDITOR_TOOLS.test(step.name) && input.command !== 'view') return [];
  if (!READ_TOOLS.test(step.name) && !EDITOR_TOOLS.test(step.name)) return [];
  if (Array.isArray(input.paths)) return input.paths.filter((p): p is string => typeof p === 'string');
  const field = PATH_FIELDS.find((f) => typeof input[f] === 'string');
  return field ? [input[field] as string] : [];
}

/** A path as it is counted: relative to the run's directory when under it, without `./` and trailing slashes. */
export function normalisePath(file: string, cwd: string | null): string {
  let p = file.trim().replace(/\/{2,}/g, '/');
  if (cwd && (p === cwd || p.startsWith(`${cwd.replace(/\/+$/, '')}/`))) p = p.slice(cwd.replace(/\/+$/, '').length + 1) || '.';
  while (p.startsWith('./')) p = p.slice(2);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/**
 * The files a tool call reads: the path of a read tool (Read, View, read_file, an editor's view),
 * or the operands of cat, head, tail, sed, grep and the like in a shell command.
 */
export function filesRead(step: Pick<ToolStep, 'name' | 'input'>, cwd: string | null = null): string[] {
  const command = shellCommand(step);
  const targets = command !== null ? shellTargets(command) : toolTargets(step);
  return targets.filter((t) => t.trim() !== '').map((t) => normalisePath(t, cwd));
}
