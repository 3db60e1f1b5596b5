import type { CacheHints } from '../conversations.js';
import { asRecord, asString } from './json.js';

/**
 * A cheap signature of a text: its length and its edges. Prompt prefixes (system prompts, tool
 * lists) are compared with it on every request, so it must not cost a pass over the text.
 */
function textSignature(text: string): string {
  return `${text.length}:${text.slice(0, 24)}:${text.slice(-24)}`;
}

function toolNames(tools: unknown): string {
  if (!Array.isArray(tools)) return '';
  return tools
    .map((t) => {
      const tool = asRecord(t);
      const fn = asRecord(tool?.function);
      return asString(tool?.name) ?? asString(fn?.name) ?? asString(tool?.type) ?? '?';
    })
    .join(',');
}

function systemSignature(system: unknown): string {
  if (typeof system === 'string') return textSignature(system);
  if (!Array.isArray(system)) return '';
  return system.map((b) => textSignature(asString(asRecord(b)?.text) ?? '')).join('|');
}

/** Anthropic: `cache_control` breakpoints on tools, system blocks and message content blocks. */
export function anthropicCacheHints(body: Record<string, unknown>): CacheHints {
  let breakpoints = 0;
  let oneHour = false;
  const mark = (value: unknown): boolean => {
    const cc = asRecord(asRecord(value)?.cache_control);
    if (!cc) return false;
    breakpoints++;
    if (cc.ttl === '1h') oneHour = true;
    return true;
  };
  if (Array.isArray(body.tools)) for (const t of body.tools) mark(t);
  if (Array.isArray(body.system)) for (const b of body.system) mark(b);
  const prefixBreakpoint = breakpoints > 0;
  let throughEnd = false;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  messages.forEach((m, i) => {
    const content = asRecord(m)?.content;
    if (!Array.isArray(content)) return;
    for (const block of content) if (mark(block) && i === messages.length - 1) throughEnd = true;
  });
  return {
    breakpoints,
    throughEnd,
    ttl: oneHour ? '1h' : '5m',
    fingerprint: `${toolNames(body.tools)}#${systemSignature(body.system)}`,
    continues: null,
    prefixBytes: prefixBreakpoint ? prefixSize(body.tools, body.system) : () => null,
  };
}

/**
 * The bytes of the tools and system, counted when asked. Made here, not inline above: a closure
 * there would share its function's context, which holds the whole parsed body, and keep it alive
 * as long as the hints (issue 11).
 */
function prefixSize(tools: unknown, system: unknown): () => number {
  return () => Buffer.byteLength(JSON.stringify([tools ?? null, system ?? null]));
}

/** OpenAI Chat and Responses: automatic prefix caching; Responses may continue a stored response. */
export function openaiCacheHints(body: Record<string, unknown>): CacheHints {
  const instructions = asString(body.instructions);
  return {
    breakpoints: 0,
    throughEnd: false,
    ttl: '5m',
    fingerprint: `${toolNames(body.tools)}#${instructions === undefined ? '' : textSignature(instructions)}`,
    continues: asString(body.previous_response_id) ?? null,
  };
}

/** Gemini: implicit caching of the prompt prefix. */
export function geminiCacheHints(body: Record<string, unknown>): CacheHints {
  const system = asRecord(body.systemInstruction ?? body.system_instruction);
  const parts = Array.isArray(system?.parts) ? system.parts : [];
  const tools: unknown[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools as unknown[]) {
      const decls = asRecord(t)?.functionDeclarations;
      if (Array.isArray(decls)) tools.push(...(decls as unknown[]));
      else tools.push(t);
    }
  }
  return {
    breakpoints: 0,
    throughEnd: false,
    ttl: '5m',
    fingerprint: `${toolNames(tools)}#${parts.map((p) => textSignature(asString(asRecord(p)?.text) ?? '')).join('|')}`,
    continues: null,
  };
}

/** Haiku models cache from 2,048 tokens, the others from 1,024 (Anthropic's minimums). */
export function anthropicMinCacheTokens(model: string): number {
  return model.includes('haiku') ? 2048 : 1024;
}
