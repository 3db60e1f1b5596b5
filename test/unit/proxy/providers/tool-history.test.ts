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
