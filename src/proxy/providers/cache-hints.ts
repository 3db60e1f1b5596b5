import type { CacheHints } from '../conversations.js';
import { asRecord, asString } from './json.js';
import { elementMemo } from './resent-list.js';

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

/** A block's `cache_control` as a number: 0 none, 1 a breakpoint, 3 one of an hour. */
function breakpointOf(value: unknown): number {
  const cc = asRecord(asRecord(value)?.cache_control);
  return !cc ? 0 : cc.ttl === '1h' ? 3 : 1;
}

/** A message's breakpoints, each block's as breakpointOf counts it: twice their number, plus one if any is of an hour. */
const messageBreakpoints = elementMemo((m) => {
  const content = asRecord(m)?.content;
  if (!Array.isArray(content)) return 0;
  let marks = 0;
  let hour = 0;
  for (const block of content) {
    const b = breakpointOf(block);
    if (b > 0) marks++;
    if (b === 3) hour = 1;
  }
  return marks * 2 + hour;
});

/** Anthropic: `cache_control` breakpoints on tools, system blocks and message content blocks. */
export function anthropicCacheHints(body: Record<string, unknown>): CacheHints {
  let breakpoints = 0;
  let oneHour = false;
  for (const list of [body.tools, body.system]) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const b = breakpointOf(item);
      if (b > 0) breakpoints++;
      if (b === 3) oneHour = true;
    }
  }
  const prefixBreakpoint = breakpoints > 0;
  // Each message's breakpoints read once: a resent history's messages are the same objects.
  const counts = messageBreakpoints(Array.isArray(body.messages) ? body.messages : []);
  for (const c of counts) {
    breakpoints += c >> 1;
    if (c & 1) oneHour = true;
  }
  const throughEnd = counts.length > 0 && counts[counts.length - 1]! >= 2;
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
