import type { ToolStep } from '../../budget/tool-steps.js';
import { asRecord, asString, tryParse } from './json.js';
import { inputText } from './request-edits.js';
import { ResentLists } from './resent-list.js';

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
  /** The step this call made last, kept while its result stays the same. */
  private step: Step | undefined;

  constructor(
    readonly id: string | null,
    readonly name: string,
    private readonly raw: unknown,
  ) {}

  get input(): string {
    return (this.text ??= inputText(this.raw));
  }

  /** This call with `result` as a step: the one made before when the result is the same. */
  stepWith(result: Result | undefined): Step {
    if (this.step === undefined || this.step.result !== result) this.step = new Step(this, result);
    return this.step;
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
    readonly result: Result | undefined,
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
  return calls.map((c) => c.stepWith((c.id !== null ? byId.get(c.id) : undefined) ?? (c.id === null ? unnamed.shift() : undefined)));
}

type ReadElement = (element: Record<string, unknown>, calls: Call[], results: Result[]) => void;

/**
 * What a reader keeps of one conversation's last history: the calls and results of each element
 * read so far, and the results by id. A resent history is made of the objects parsed before
 * (RequestBodies), so the elements it shares with the last one are known by identity and not read
 * again (issue 11: a 600-call history cost 0.13 ms and 190 KB a request here).
 */
class Thread {
  private readonly calls: Call[] = [];
  private readonly results: Result[] = [];
  /** How many calls and results the elements before element i hold, for i up to the history's length. */
  private readonly callsBefore: number[] = [0];
  private readonly resultsBefore: number[] = [0];
  /**
   * While every call and every result has an id of its own: the results by id, each call's index
   * by id, and each call's step, all kept as elements come and go, so a request touches only the
   * calls whose result came or went. Null otherwise: the steps are then paired whole each time,
   * as `paired` does.
   */
  private byId: { results: Map<string, Result>; calls: Map<string, number>; steps: Step[] } | null = { results: new Map(), calls: new Map(), steps: [] };

  /** The steps of `elements`, whose first `same` are this thread's. */
  steps(elements: readonly unknown[], same: number, read: ReadElement): ToolStep[] {
    // Calls whose result may have changed: those answered by a result that goes or comes.
    const touched: string[] = [];
    const keptCalls = this.callsBefore[same]!;
    const keptResults = this.resultsBefore[same]!;
    if (this.byId !== null) {
      for (let i = keptResults; i < this.results.length; i++) {
        const id = this.results[i]!.id!;
        this.byId.results.delete(id);
        touched.push(id);
      }
      for (let i = keptCalls; i < this.calls.length; i++) this.byId.calls.delete(this.calls[i]!.id!);
      this.byId.steps.length = keptCalls;
    }
    this.calls.length = keptCalls;
    this.results.length = keptResults;
    this.callsBefore.length = same + 1;
    this.resultsBefore.length = same + 1;
    for (let i = same; i < elements.length; i++) {
      const element = asRecord(elements[i]);
      const calls = this.calls.length;
      const results = this.results.length;
      if (element) read(element, this.calls, this.results);
      for (let k = calls; k < this.calls.length; k++) this.indexCall(k);
      for (let k = results; k < this.results.length; k++) touched.push(this.indexResult(this.results[k]!));
      this.callsBefore.push(this.calls.length);
      this.resultsBefore.push(this.results.length);
    }
    const byId = this.byId;
    if (byId === null) return paired(this.calls, this.results);
    for (let k = byId.steps.length; k < this.calls.length; k++) byId.steps.push(this.calls[k]!.stepWith(byId.results.get(this.calls[k]!.id!)));
    for (const id of touched) {
      const k = byId.calls.get(id);
      if (k !== undefined) byId.steps[k] = this.calls[k]!.stepWith(byId.results.get(id));
    }
    return byId.steps.slice();
  }

  private indexCall(k: number): void {
    const id = this.calls[k]!.id;
    if (this.byId === null) return;
    if (id === null || this.byId.calls.has(id)) this.byId = null;
    else this.byId.calls.set(id, k);
  }

  /** Indexes a new result by its id, and returns the id (or '' once ids no longer pair alone). */
  private indexResult(r: Result): string {
    if (this.byId === null) return '';
    if (r.id === null || this.byId.results.has(r.id)) {
      this.byId = null;
      return '';
    }
    this.byId.results.set(r.id, r);
    return r.id;
  }
}

/**
 * Reads a history's steps with `read`, one element at a time, a thread for each conversation it
 * follows (ResentLists). One reader a provider: an element is read the provider's way.
 */
function historyReader(read: ReadElement): (list: unknown) => ToolStep[] {
  const threads = new ResentLists(() => new Thread());
  return (list) => {
    const elements = arrayOf(list);
    const { state: thread, same } = threads.follow(elements);
    return thread.steps(elements, same, read);
  };
}

function call(id: unknown, name: unknown, input: unknown): Call | null {
  const n = asString(name);
  return n ? new Call(asString(id) ?? null, n, input) : null;
}

const anthropicSteps = historyReader((message, calls, results) => {
  // A message's content may be a string: it holds no blocks.
  for (const b of arrayOf(message.content)) {
    const block = asRecord(b);
    if (block?.type === 'tool_use') {
      const c = call(block.id, block.name, block.input);
      if (c) calls.push(c);
    } else if (block?.type === 'tool_result') {
      // is_error absent is not a pass: not every client sets it, so the text decides then.
      results.push(new Result(asString(block.tool_use_id) ?? null, block.content, textOf, block.is_error === true ? true : null));
    }
  }
});

/** Anthropic Messages: `tool_use` blocks, answered by `tool_result` blocks (with `is_error`). */
export function anthropicToolSteps(body: Record<string, unknown>): ToolStep[] {
  return anthropicSteps(body.messages);
}

const openaiChatSteps = historyReader((message, calls, results) => {
  if (message.role === 'assistant') {
    for (const tc of arrayOf(message.tool_calls)) {
      const c = asRecord(tc);
      const fn = asRecord(c?.function);
      const made = call(c?.id, fn?.name, fn?.arguments);
      if (made) calls.push(made);
    }
  } else if (message.role === 'tool') {
    results.push(new Result(asString(message.tool_call_id) ?? null, message.content, textOf, null));
  }
});

/** OpenAI Chat Completions: an assistant message's `tool_calls`, answered by `tool` messages. */
export function openaiChatToolSteps(body: Record<string, unknown>): ToolStep[] {
  return openaiChatSteps(body.messages);
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

const openaiResponsesSteps = historyReader((item, calls, results) => {
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
});

/** OpenAI Responses (Codex): function, custom-tool and shell calls, answered by their `*_output` items. */
export function openaiResponsesToolSteps(body: Record<string, unknown>): ToolStep[] {
  return openaiResponsesSteps(body.input);
}

/** The text of a Gemini function response: its output, else its error, else the whole response. */
function geminiOutput(raw: unknown): string {
  const response = raw as Record<string, unknown> | undefined;
  return asString(response?.output) ?? asString(response?.error) ?? JSON.stringify(response ?? {});
}

const geminiSteps = historyReader((content, calls, results) => {
  for (const p of arrayOf(content.parts)) {
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
});

/** Gemini: `functionCall` parts, answered by `functionResponse` parts (an `error` field is a failure). */
export function geminiToolSteps(body: Record<string, unknown>): ToolStep[] {
  return geminiSteps(body.contents);
}
