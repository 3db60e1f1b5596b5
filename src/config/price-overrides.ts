import type { ModelPrice } from './types.js';
import { MAX_USD } from './parse-values.js';
import { asText, Invalid, UnknownKey, type Kind, type ValuePath } from './values.js';

const PRICE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite'] as const;

function isMapping(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

function dollarsPerMillion(raw: unknown, at: ValuePath): number {
  const text = asText(raw)?.trim().replace(/^\$/, '') ?? '';
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= MAX_USD)) throw new Invalid('dollars per million tokens (e.g. 3 or 0.25)', raw, at);
  return n;
}

/** Price overrides: `model → {input, output, cacheRead?, cacheWrite?}` in dollars per million tokens. */
export const prices: Kind<Readonly<Record<string, ModelPrice>>> = {
  expected: 'a mapping of model id → {input, output, cacheRead, cacheWrite} in dollars per million tokens',
  parse(raw) {
    if (!isMapping(raw)) throw new Invalid(this.expected, raw);
    const out: Record<string, ModelPrice> = {};
    for (const [model, entry] of Object.entries(raw)) {
      if (!isMapping(entry)) throw new Invalid('{input, output} prices in dollars per million tokens', entry, [model]);
      for (const field of Object.keys(entry)) {
        if (!(PRICE_FIELDS as readonly string[]).includes(field)) throw new UnknownKey(field, PRICE_FIELDS, [model, field]);
      }
      for (const field of ['input', 'output'] as const) {
        if (entry[field] === undefined) {
          throw new Invalid(`an ${field} price in dollars per million tokens`, undefined, [model]);
        }
      }
      const input = dollarsPerMillion(entry.input, [model, 'input']);
      out[model] = {
        input,
        output: dollarsPerMillion(entry.output, [model, 'output']),
        cacheRead: entry.cacheRead === undefined ? input : dollarsPerMillion(entry.cacheRead, [model, 'cacheRead']),
        cacheWrite: entry.cacheWrite === undefined ? input : dollarsPerMillion(entry.cacheWrite, [model, 'cacheWrite']),
      };
    }
    return out;
  },
  fromText(text) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  },
  toRaw: (v) => structuredClone(v),
  format: (v) =>
    Object.keys(v).length === 0
      ? 'none'
      : Object.entries(v)
          .map(([model, p]) => `${model} (input $${p.input}, output $${p.output}, cache read $${p.cacheRead}, cache write $${p.cacheWrite} per M)`)
          .join('; '),
};
