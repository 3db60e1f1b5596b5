import { asRecord, asString } from './json.js';
import type { ToolCall } from './types.js';

/** Sets the body's `model` field: Anthropic and OpenAI name the model in the body. */
export function withBodyModel(body: Record<string, unknown>, path: string, model: string): { body: Record<string, unknown>; path: string } {
  return { body: { ...body, model }, path };
}

/**
 * Removes tools whose name (or, for built-in tools, type) is in `names` from a `tools` array of
 * flat entries (Anthropic `{name}` / `{type, name}`, OpenAI Responses `{type, name}`, OpenAI
 * Chat `{type: 'function', function: {name}}`).
 */
export function withoutNamedTools(body: Record<string, unknown>, names: ReadonlySet<string>): { body: Record<string, unknown>; removed: string[] } {
  if (!Array.isArray(body.tools) || names.size === 0) return { body, removed: [] };
  const removed: string[] = [];
  const kept = body.tools.filter((tool) => {
    const t = asRecord(tool);
    const given = [asString(t?.name), asString(asRecord(t?.function)?.name)].filter((x): x is string => x !== undefined);
    const type = asString(t?.type);
    // Built-in tools are named by type, which carries a version (web_search_20250305).
    const hit =
      given.find((id) => names.has(id)) ??
      (type && [...names].some((n) => type === n || (type.startsWith(`${n}_`) && /^\d{8}$/.test(type.slice(n.length + 1)))) ? type : undefined);
    if (hit) removed.push(hit);
    return !hit;
  });
  if (removed.length === 0) return { body, removed };
  const next: Record<string, unknown> = { ...body, tools: kept };
  // A tool_choice that names a removed tool would be rejected; fall back to the default.
  const choice = asRecord(body.tool_choice);
  const chosen = asString(choice?.name) ?? asString(asRecord(choice?.function)?.name);
  if (chosen && removed.includes(chosen)) delete next.tool_choice;
  if (kept.length === 0) {
    delete next.tools;
    delete next.tool_choice;
  }
  return { body: next, removed };
}

/** The last element of `list` that satisfies `pick`, searching from the end. */
export function lastWhere<T>(list: unknown, pick: (item: Record<string, unknown>) => T | undefined): T | undefined {
  if (!Array.isArray(list)) return undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const item = asRecord(list[i]);
    const found = item ? pick(item) : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A tool call's input as the text the guards read: a string as it is, anything else as JSON. */
export function inputText(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input ?? {});
}

export function toolCall(name: unknown, input: unknown): ToolCall | null {
  const n = asString(name);
  if (!n) return null;
  return { name: n, input: inputText(input) };
}

export function compact<T>(items: (T | null)[]): T[] {
  return items.filter((x): x is T => x !== null);
}
