/** Narrowing helpers for untrusted JSON: they return undefined instead of throwing. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** What a JSON text can start with, after JSON's white space: an object, array, string, number or literal. */
const JSON_START = /^[ \t\n\r]*[{["\-0-9tfn]/;

/**
 * Parses JSON, or returns undefined. Text that cannot start a JSON value (a tool's plain output,
 * say) is answered without JSON.parse: its exception cost tens of µs a request (issue 11).
 */
export function tryParse(text: string): unknown {
  if (!JSON_START.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
