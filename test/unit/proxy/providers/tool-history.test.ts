import { describe, expect, it } from 'vitest';
import { retryStreak } from '../../../../src/budget/retry-loop.js';
import type { ToolStep } from '../../../../src/budget/tool-steps.js';
import { anthropic } from '../../../../src/proxy/providers/anthropic.js';
import { gemini } from '../../../../src/proxy/providers/gemini.js';
import { openaiChat } from '../../../../src/proxy/providers/openai-chat.js';
import { openaiResponses } from '../../../../src/proxy/providers/openai-responses.js';

const CMD = 'npm run build';

/** A step's fields (the texts are getters, made on first read). */
const fields = (s: ToolStep) => ({ id: s.id, name: s.name, input: s.input, output: s.output, failed: s.failed });
const ERR = 'src/a.ts(3,1): error TS2304: Cannot find name foo.';

/** Three failing attempts of the build, each in the provider's own history shape. */
function anthropicBody(): Record<string, unknown> {
  const messages: unknown[] = [{ role: 'user', content: 'build it' }];
  for (let i = 1; i <= 3; i++) {
    messages.push({
      role: 'assistant',
      content: [
        { type: 'text', text: 'trying' },
        { type: 'tool_use', id: `toolu_${i}`, name: 'Bash', input: { command: CMD } },
      ],
    });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: `Exit code 2\n${ERR}`, is_error: true }] });
  }
  return { model: 'claude-sonnet-4-5', messages };
}

function openaiChatBody(): Record<string, unknown> {
  const messages: unknown[] = [{ role: 'user', content: 'build it' }];
  for (let i = 1; i <= 3; i++) {
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: `call_${i}`, type: 'function', function: { name: 'bash', arguments: JSON.stringify({ command: CMD }) } }],
    });
    messages.push({ role: 'tool', tool_call_id: `call_${i}`, content: [{ type: 'text', text: `exit status 2\n${ERR}` }] });
  }
  return { model: 'gpt-4.1', messages };
}

function openaiResponsesBody(): Record<string, unknown> {
  const input: unknown[] = [{ role: 'user', content: [{ type: 'input_text', text: 'build it' }] }];
  input.push({ type: 'function_call', call_id: 'c1', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', CMD] }) });
  input.push({ type: 'function_call_output', call_id: 'c1', output: JSON.stringify({ output: ERR, metadata: { exit_code: 2, duration_seconds: 1.2 } }) });
  input.push({ type: 'local_shell_call', call_id: 'c2', action: { type: 'exec', command: ['bash', '-lc', CMD] } });
  input.push({ type: 'local_shell_call_output', call_id: 'c2', output: JSON.stringify({ output: ERR, metadata: { exit_code: 2 } }) });
  input.push({ type: 'shell_call', call_id: 'c3', action: { commands: [CMD] } });
  input.push({ type: 'shell_call_output', call_id: 'c3', output: [{ stdout: '', stderr: ERR, outcome: { type: 'exit', exit_code: 2 } }] });
  return { model: 'gpt-5-codex', input };
}

function geminiBody(): Record<string, unknown> {
  const contents: unknown[] = [{ role: 'user', parts: [{ text: 'build it' }] }];
  for (let i = 1; i <= 3; i++) {
    contents.push({ role: 'model', parts: [{ functionCall: { name: 'run_shell_command', args: { command: CMD } } }] });
    contents.push({
      role: 'user',
      parts: [{ functionResponse: { name: 'run_shell_command', response: { output: `Command: ${CMD}\nStdout: (empty)\nStderr: ${ERR}\nExit Code: 2` } } }],
    });
  }
  return { contents };
}

describe('tool steps from each provider’s history', () => {
  it.each([
    ['Anthropic', anthropic, anthropicBody],
    ['OpenAI Chat', openaiChat, openaiChatBody],
    ['OpenAI Responses', openaiResponses, openaiResponsesBody],
    ['Gemini', gemini, geminiBody],
  ] as const)('%s: three failing builds are a streak of three with the error line', (_, provider, body) => {
    const steps = provider.toolSteps(body());
    expect(steps).toHaveLength(3);
    const streak = retryStreak(steps);
    expect(streak?.count).toBe(3);
    expect(streak?.lastError).toBe(ERR);
    expect(streak?.step).toContain(CMD);
  });

  it('pairs results by id, and a call without its result yet has none', () => {
    const body = anthropicBody();
    (body.messages as unknown[]).push({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_9', name: 'Read', input: { file_path: 'a.ts' } }] });
    const steps = anthropic.toolSteps(body);
    expect(fields(steps.at(-1)!)).toEqual({ id: 'toolu_9', name: 'Read', input: '{"file_path":"a.ts"}', output: '', failed: null });
    expect(steps[0]!.failed).toBe(true);
  });

  it('reads a Gemini error response as a failure', () => {
    const steps = gemini.toolSteps({
      contents: [
        { role: 'model', parts: [{ functionCall: { name: 'read_file', args: { absolute_path: '/x' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'read_file', response: { error: 'File not found: /x' } } }] },
      ],
    });
    expect(steps.map(fields)).toEqual([{ id: null, name: 'read_file', input: '{"absolute_path":"/x"}', output: 'File not found: /x', failed: true }]);
  });
});

/** A call and its result as one provider's history holds them; `id` null leaves the ids out. */
type Pair = (id: string | null, n: number) => { call: unknown; result: unknown };

const PAIRS: [string, typeof anthropic, string, Pair][] = [
  [
    'Anthropic',
    anthropic,
    'messages',
    (id, n) => ({
      call: { role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input: { command: `cmd ${n}` } }] },
      result: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: `out ${n}`, ...(n % 3 === 0 ? { is_error: true } : {}) }] },
    }),
  ],
  [
    'OpenAI Chat',
    openaiChat,
    'messages',
    (id, n) => ({
      call: { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'bash', arguments: `{"n":${n}}` } }] },
      result: { role: 'tool', tool_call_id: id, content: `out ${n}` },
    }),
  ],
  [
    'OpenAI Responses',
    openaiResponses,
    'input',
    (id, n) => ({
      call: { type: 'function_call', call_id: id, name: 'shell', arguments: `{"n":${n}}` },
      result: { type: 'function_call_output', call_id: id, output: `out ${n}` },
    }),
  ],
  [
    'Gemini',
    gemini,
    'contents',
    (id, n) => ({
      call: { role: 'model', parts: [{ functionCall: { ...(id ? { id } : {}), name: 'run_shell_command', args: { n } } }] },
      result: { role: 'user', parts: [{ functionResponse: { ...(id ? { id } : {}), name: 'run_shell_command', response: { output: `out ${n}` } } }] },
    }),
  ],
];

/** A deterministic source of numbers, so a failure can be replayed. */
function random(seed: number): (max: number) => number {
  let x = seed;
  return (max) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % max;
  };
}

describe('a resent history: only its new elements are read', () => {
  it.each(PAIRS)('%s: the steps of each history equal those read afresh, as it grows, is edited, cut and interleaved', (_, provider, key, pair) => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = random(seed);
      const conversations: unknown[][] = [[{ role: 'user', content: 'go' }], [{ role: 'user', content: 'other' }]];
      let n = 0;
      for (let turn = 0; turn < 40; turn++) {
        const c = next(4) === 0 ? 1 : 0;
        const prev = conversations[c]!;
        let history = [...prev]; // the same element objects, as RequestBodies hands them on
        const id = (): string | null => (next(10) === 0 ? null : `id_${next(5) === 0 ? next(n + 1) : n}`); // now and then none, or an id again
        switch (next(5)) {
          case 0: // the last element edited: a new object in its place
            if (history.length > 1) history[history.length - 1] = structuredClone(history.at(-1));
            break;
          case 1: // cut, as a compacted conversation is
            history = history.slice(0, Math.max(1, history.length - 1 - next(3)));
            break;
          case 2: {
            // a call still waiting for its result
            history.push(pair(id(), n++).call);
            break;
          }
          default: {
            const p = pair(id(), n++);
            history.push(p.call, p.result);
          }
        }
        conversations[c] = history;
        const shared = provider.toolSteps({ [key]: history });
        const fresh = provider.toolSteps(structuredClone({ [key]: history }));
        expect(shared.map(fields), `seed ${seed} turn ${turn}`).toEqual(fresh.map(fields));
      }
    }
  });

  it('hands on the steps of the elements it read before, and reads only the new ones', () => {
    const history: unknown[] = [{ role: 'user', content: 'go' }];
    for (let i = 0; i < 5; i++) {
      const p = PAIRS[0]![3](`toolu_${i}`, i);
      history.push(p.call, p.result);
    }
    const first = anthropic.toolSteps({ messages: history });
    const p = PAIRS[0]![3]('toolu_5', 5);
    const second = anthropic.toolSteps({ messages: [...history, p.call, p.result] });
    expect(second).toHaveLength(6);
    // The old calls' steps are the same objects: nothing of theirs was read again.
    for (let i = 0; i < 5; i++) expect(second[i]).toBe(first[i]);
    // A history of copies is read afresh.
    const copied = anthropic.toolSteps(structuredClone({ messages: history }));
    expect(copied[0]).not.toBe(first[0]);
    expect(copied.map(fields)).toEqual(first.map(fields));
  });
});
