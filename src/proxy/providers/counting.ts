import { asCount, asRecord } from './json.js';
import type { TokenCounting } from './types.js';

/** The body with only `keys` kept: counting endpoints reject generation-only fields. */
function pick(body: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (body[k] !== undefined) out[k] = body[k];
  return out;
}

/** Anthropic `POST /v1/messages/count_tokens` → `{"input_tokens": N}`. */
export const anthropicCounting: TokenCounting = {
  request(body, path) {
    if (!path.replace(/\/+$/, '').endsWith('/messages')) return null;
    const keys = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers', 'context_management'];
    return { path: `${path.replace(/\/+$/, '')}/count_tokens`, body: pick(body, keys) };
  },
  read: (answer) => asCount(asRecord(answer)?.input_tokens) ?? null,
};

/** OpenAI `POST /v1/responses/input_tokens` → `{"object": "response.input_tokens", "input_tokens": N}`. */
export const openaiResponsesCounting: TokenCounting = {
  request(body, path) {
    if (!path.replace(/\/+$/, '').endsWith('/responses')) return null;
    const keys = [
      'model',
      'input',
      'instructions',
      'tools',
      'tool_choice',
      'previous_response_id',
      'conversation',
      'reasoning',
      'text',
      'truncation',
      'parallel_tool_calls',
    ];
    return { path: `${path.replace(/\/+$/, '')}/input_tokens`, body: pick(body, keys) };
  },
  read: (answer) => asCount(asRecord(answer)?.input_tokens) ?? null,
};

/** Gemini `POST …/models/{model}:countTokens` → `{"totalTokens": N}`. */
export const geminiCounting: TokenCounting = {
  request(body, path, model) {
    const at = path.lastIndexOf(':');
    if (at === -1) return null;
    const request = { model: `models/${model}`, ...pick(body, ['contents', 'systemInstruction', 'tools', 'toolConfig', 'cachedContent']) };
    return { path: `${path.slice(0, at)}:countTokens`, body: { generateContentRequest: request } };
  },
  read: (answer) => asCount(asRecord(answer)?.totalTokens) ?? null,
};
