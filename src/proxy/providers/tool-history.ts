import type { ToolStep } from '../../budget/tool-steps.js';
import { asRecord, asString, tryParse } from './json.js';
import { inputText } from './request-edits.js';

/**
 * How each provider's request history records the tool calls the agent ran and what they
 * returned: read only, every call paired with its result by id (Gemini, without ids, by order).
 */

/**
 * A call of the history; its input as JSON text is made on first read. Every request resends the
 * whole history, and most of it was read before (issue 11: a 300-call history cost 0.45 ms a
 * request), so a call's input and a result's text are worked out only when something reads them,
 * which for an old call is seldom (GuardWatch reads what is new).
 */
class Call {
  private text: string | undefined;

  constructor(
    readonly id: string | null,
    readonly name: string,
    private readonly raw: unknown,
  ) {}

  get input(): string {
    return (this.text ??= inputText(this.raw));
  }
}

/**
 * A call's result; its text is made from `raw` by `read` on first read. A class rather than two
 * closures a result, and lists walked as they are rather than copied (`items`): every request
 * resends the whole history, and reading it so was about a fifth of what a request allocated
 * (issue 11).
 */
class Result {
  private text: string | undefined;

  constructor(
    readonly id: string | null,
    private readonly raw: unknown,
    private readonly read: (raw: unknown) => string,
    readonly failed: boolean | null,
  ) {}

  output(): string {
    return (this.text ??= this.read(this.raw));
  }
}

const NONE: readonly unknown[] = [];

/** `list` when it is an array (not a copy), else nothing: its objects are picked out with asRecord as they are read. */
const arrayOf = (list: unknown): readonly unknown[] => (Array.isArray(list) ? list : NONE);

const items = (list: unknown): Record<string, unknown>[] =>
  Array.isArray(list) ? list.map(asRecord).filter((x): x is Record<string, unknown> => x !== undefined) : [];

/** Result content as text: a string, or the text of its parts (`text`, `input_text`, `output_text`). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return items(content)
    .map((part) => asString(part.text) ?? '')
    .filter((t) => t !== '')
    .join('\n');
}

/** A call with its result (if the history holds one yet); the texts are made on first read. */
class Step implements ToolStep {
  readonly id: string | null;
  readonly name: string;
  readonly failed: boolean | null;

  constructor(
    private readonly call: Call,
    private readonly result: Result | undefined,
  ) {
    this.id = call.id;
    this.name = call.name;
    this.failed = result ? result.failed : null;
  }

  get input(): string {
    return this.call.input;
  }

  get output(): string {
    return this.result ? this.result.output() : '';
  }
}

/** Pairs calls with results in history order; a call still without its result has empty output. */
function paired(calls: Call[], results: Result[]): ToolStep[] {
  const byId = new Map<string, Result>();
  const unnamed: Result[] = [];
  for (const r of results) {
    if (r.id === null) unnamed.push(r);
    else byId.set(r.id, r);
  }
  return calls.map((c) => new Step(c, (c.id !== null ? byId.get(c.id) : undefined) ?? (c.id === null ? unnamed.shift() : undefined)));
}

function call(id: unknown, name: unknown, input: unknown): Call | null {
  const n = asString(name);
  return n ? new Call(asString(id) ?? null, n, input) : null;
}

/** Anthropic Messages: `tool_use` blocks, answered by `tool_result` blocks (with `is_error`). */
export function anthropicToolSteps(body: Record<string, unknown>): ToolStep[] {
  const calls: Call[] = [];
  const results: Result[] = [];
  for (const m of arrayOf(body.messages)) {
    const content = asRecord(m)?.content;
    // A message's content may be a string: it holds no blocks.
    for (const b of arrayOf(content)) {
      const block = asRecord(b);
      if (block?.type === 'tool_use') {
        const c = call(block.id, block.name, block.input);
        if (c) calls.push(c);
      } else if (block?.type === 'tool_result') {
        // is_error absent is not a pass: not every client sets it, so the text decides then.
        results.push(new Result(asString(block.tool_use_id) ?? null, block.content, textOf, block.is_error === true ? true : null));
      }
    }
  }
  return paired(calls, results);
}

/** OpenAI Chat Completions: an assistant message's `tool_calls`, answered by `tool` messages. */
export function openaiChatToolSteps(body: Record<string, unknown>): ToolStep[] {
  const calls: Call[] = [];
  const results: Result[] = [];
  for (const m of arrayOf(body.messages)) {
    const message = asRecord(m);
    if (message?.role === 'assistant') {
      for (const tc of arrayOf(message.tool_calls)) {
        const c = asRecord(tc);
        const fn = asRecord(c?.function);
        const made = call(c?.id, fn?.name, fn?.arguments);
        if (made) calls.push(made);
      }
    } else if (message?.role === 'tool') {
      results.push(new Result(asString(message.tool_call_id) ?? null, message.content, textOf, null));
    }
  }
  return paired(calls, results);
}

/** The text of a Responses `shell_call_output`: each command's output and how it ended. */
function shellOutput(output: unknown): string {
  if (typeof output === 'string') return output;
  return items(output)
    .map((o) => {
      const outcome = asRecord(o.outcome);
      const code = outcome?.type === 'exit' ? `\nExit code ${String(outcome.exit_code)}` : outcome?.type === 'timeout' ? '\nExit code 124 (timed out)' : '';
      return `${asString(o.stdout) ?? ''}${asString(o.stderr) ?? ''}${code}`;
    })
    .join('\n');
}

/** Codex's exec result `{"output": …, "metadata": {"exit_code": …}}` as text; any other output as it is. */
function execOutput(text: string): string {
  const parsed = asRecord(tryParse(text));
  const metadata = asRecord(parsed?.metadata);
  if (typeof parsed?.output !== 'string' || typeof metadata?.exit_code !== 'number') return text;
  return `${parsed.output}\nExit code ${metadata.exit_code}`;
}

/** The text of a Responses `*_call_output` item. */
function responsesOutput(raw: unknown): string {
  const item = raw as Record<string, unknown>;
  return item.type === 'shell_call_output' ? shellOutput(item.output) : execOutput(textOf(item.output));
}

/** OpenAI Responses (Codex): function, custom-tool and shell calls, answered by their `*_output` items. */
export function openaiResponsesToolSteps(body: Record<string, unknown>): ToolStep[] {
  const calls: Call[] = [];
  const results: Result[] = [];
  for (const i of arrayOf(body.input)) {
    const item = asRecord(i);
    if (!item) continue;
    const id = item.call_id ?? item.id;
    let made: Call | null = null;
    if (item.type === 'function_call') made = call(id, item.name, item.arguments);
    else if (item.type === 'custom_tool_call') made = call(id, item.name, item.input);
    else if (item.type === 'local_shell_call') made = call(id, 'local_shell', asRecord(item.action));
    else if (item.type === 'shell_call') {
      const commands = asRecord(item.action)?.commands;
      made = call(id, 'shell', { command: Array.isArray(commands) ? commands.filter((c) => typeof c === 'string').join(' && ') : '' });
    } else if (typeof item.type === 'string' && item.type.endsWith('_call_output')) {
      results.push(new Result(asString(item.call_id) ?? null, item, responsesOutput, null));
    }
    if (made) calls.push(made);
  }
  return paired(calls, results);
}

/** The text of a Gemini function response: its output, else its error, else the whole response. */
function geminiOutput(raw: unknown): string {
  const response = raw as Record<string, unknown> | undefined;
  return asString(response?.output) ?? asString(response?.error) ?? JSON.stringify(response ?? {});
}

/** Gemini: `functionCall` parts, answered by `functionResponse` parts (an `error` field is a failure). */
export function geminiToolSteps(body: Record<string, unknown>): ToolStep[] {
  const calls: Call[] = [];
  const results: Result[] = [];
  for (const c of arrayOf(body.contents)) {
    for (const p of arrayOf(asRecord(c)?.parts)) {
      const part = asRecord(p);
      const fc = asRecord(part?.functionCall);
      const fr = asRecord(part?.functionResponse);
      if (fc) {
        const made = call(fc.id, fc.name, fc.args);
        if (made) calls.push(made);
      } else if (fr) {
        const response = asRecord(fr.response);
        const error = response?.error;
        results.push(new Result(asString(fr.id) ?? null, response, geminiOutput, error !== undefined && error !== null && error !== '' ? true : null));
      }
    }
  }
  return paired(calls, results);
}
