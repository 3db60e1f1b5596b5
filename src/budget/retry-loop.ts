import type { RetryStreak } from './guard-types.js';
import { normaliseText, stepIdentity, type StepIdentity, type ToolStep } from './tool-steps.js';

export type { RetryStreak } from './guard-types.js';

/** Exit codes as agents' shell tools report them (Claude Code, Codex, Gemini CLI, aider, goose). */
const EXIT_CODE = /\bexit(?:ed with)?[ _](?:code|status)\b["']?\s*[:=]?\s*(-?\d+)/i;
/** Lines that say a command failed, for results that carry no exit code and no error flag. */
const FAILURE_LINE = /^\s*(?:error\b|fatal\b|npm err(?:!|or\b)|traceback \(most recent call last\)|[\w.]*(?:error|exception)\b:|command not found)/i;
/** Lines that say what went wrong (`a.ts(1,7): error TS2304: …`, `error[E0425]: …`, `TypeError: …`). */
const ERROR_TEXT = /\b(?:error|fatal|exception)\b|traceback|not found/i;
/** npm's own summary of a failed script: the script's error says more. */
const NPM_NOISE = /^npm (?:error|err!|warn)/i;

/** The exit code a result reports, or null when it reports none. */
export function exitCodeOf(output: string): number | null {
  const match = EXIT_CODE.exec(output);
  return match ? Number(match[1]) : null;
}

/**
 * Whether a tool call failed: the provider's error flag, else the exit code its result reports,
 * else (neither) an error line in its result.
 */
export function stepFailed(step: ToolStep): boolean {
  if (step.failed === true) return true;
  const code = exitCodeOf(step.output);
  if (code !== null) return code !== 0;
  if (step.failed === false) return false;
  return step.output.split('\n').some((line) => FAILURE_LINE.test(line));
}

const MAX_ERROR = 160;

/** The line that says what went wrong: the first error line, else the last line that is not an exit code. */
export function lastErrorLine(output: string): string {
  // Gemini CLI labels its parts (`Stderr: …`); the label is not the error.
  const lines = output
    .split('\n')
    .map((l) => l.trim().replace(/^(stdout|stderr|output):\s*/i, ''))
    .filter((l) => l !== '' && !/^exit (code|status)\b/i.test(l) && !/^(command|directory):/i.test(l) && l !== '(empty)');
  const line = lines.find((l) => ERROR_TEXT.test(l) && !NPM_NOISE.test(l)) ?? lines.find((l) => ERROR_TEXT.test(l)) ?? lines.at(-1) ?? '(no output)';
  return line.length > MAX_ERROR ? `${line.slice(0, MAX_ERROR - 1)}…` : line;
}

/**
 * The streak of the conversation's latest tool call: how many of its attempts in a row failed
 * the same way. Other tool calls in between (reading, editing) do not end a streak; a pass of
 * the step does, and so does a different error (the agent got further), which starts a new one.
 * Null when the latest call passed or the history has none. Read backwards from the latest
 * call, so only its own earlier attempts are examined; `identityOf` lets a caller that sees the
 * same history on every request reuse what it already worked out.
 */
export function retryStreak(steps: readonly ToolStep[], identityOf: (step: ToolStep) => StepIdentity = stepIdentity): RetryStreak | null {
  const last = steps.length - 1;
  if (last < 0 || !stepFailed(steps[last]!)) return null;
  const { key, label } = identityOf(steps[last]!);
  const lastError = lastErrorLine(steps[last]!.output);
  const signature = normaliseText(lastError);
  let start = last;
  let count = 1;
  for (let i = last - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (identityOf(step).key !== key) continue;
    if (!stepFailed(step) || normaliseText(lastErrorLine(step.output)) !== signature) break;
    start = i;
    count++;
  }
  return { id: `${key}@${start}`, step: label, count, lastError };
}
