import { formatUsd, formatWhole, usdToNano } from '../budget/money.js';
import { UsageError } from '../errors.js';
import { MAX_USD, parseCount, parseTokenCount, parseUsd } from './parse-values.js';
import { isRoutePattern } from './route-pattern.js';

/** A path inside a value: mapping keys and list indexes (`prices` → `['my-model', 'input']`). */
export type ValuePath = readonly (string | number)[];

/** A value that does not fit its key; the caller adds where it was (file and position, variable). */
export class Invalid extends Error {
  constructor(
    readonly expected: string,
    readonly found: unknown,
    readonly at: ValuePath = [],
  ) {
    super(`expected ${expected}`);
  }
}

/** A mapping key inside a value that is not one of `candidates` (e.g. `prices.m.inptu`). */
export class UnknownKey extends Error {
  constructor(
    readonly key: string,
    readonly candidates: readonly string[],
    readonly at: ValuePath,
  ) {
    super(`unknown key ${key}`);
  }
}

/** How one kind of setting is read, validated, written back and shown. */
export interface Kind<T> {
  /** What a valid value looks like, for messages: "expected <this>, found …". */
  expected: string;
  /** Validates a value as read from YAML/JSON (or from `fromText`) and normalises it. */
  parse(raw: unknown): T;
  /** Turns text (an environment variable, `capped config set`, a flag) into a raw value. */
  fromText(text: string): unknown;
  /** The value as it is written in a file (idle as `10m`, not milliseconds). */
  toRaw(value: T): unknown;
  /** The value for people (`$1.50`, `10m`, `none`). */
  format(value: T): string;
}

const identity = (text: string): unknown => text;

/** Numbers and strings are parsed as text, so `1.50`, `"1.50"` and `$1.50` all work. */
export function asText(raw: unknown): string | null {
  if (typeof raw === 'number') return String(raw);
  return typeof raw === 'string' ? raw : null;
}

/** Runs one of the flag parsers (which throw UsageError) and reports a failure as Invalid. */
function viaFlagParser<T>(parse: (flag: string, text: string) => T, raw: unknown, expected: () => string): T {
  const text = asText(raw);
  if (text !== null) {
    try {
      return parse('value', text);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
    }
  }
  throw new Invalid(expected(), raw);
}

export const usd: Kind<number> = {
  expected: 'a positive number of dollars',
  parse(raw) {
    return viaFlagParser(parseUsd, raw, () => {
      const n = Number(asText(raw)?.trim().replace(/^\$/, '') ?? NaN);
      return n > MAX_USD ? `at most $${formatWhole(MAX_USD)}` : this.expected;
    });
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => formatUsd(usdToNano(v)),
};

export const tokens: Kind<number> = {
  expected: 'a positive whole number of tokens (e.g. 200000 or 200k)',
  parse(raw) {
    return viaFlagParser(parseTokenCount, raw, () => this.expected);
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => String(v),
};

export const count: Kind<number> = {
  expected: 'a whole number (e.g. 50)',
  parse(raw) {
    return viaFlagParser(parseCount, raw, () => this.expected);
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => String(v),
};

/** Failing attempts that make a retry loop: one failure is no loop. */
export const attempts: Kind<number> = {
  expected: 'a whole number of attempts, at least 2 (e.g. 3)',
  parse(raw) {
    const n = viaFlagParser(parseCount, raw, () => this.expected);
    if (n < 2) throw new Invalid(this.expected, raw);
    return n;
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => String(v),
};

/** A number of files, or `off` (or false) for no limit. */
export const filesOrOff: Kind<number | null> = {
  expected: 'a whole number of files, at least 1 (e.g. 200), or off',
  parse(raw) {
    if (raw === false || raw === null || (typeof raw === 'string' && raw.trim().toLowerCase() === 'off')) return null;
    const n = viaFlagParser(parseCount, raw, () => this.expected);
    if (n < 1) throw new Invalid(this.expected, raw);
    return n;
  },
  fromText: identity,
  toRaw: (v) => (v === null ? 'off' : v),
  format: (v) => (v === null ? 'off' : `${v} files`),
};

export const days: Kind<number> = {
  expected: 'a whole number of days, at least 1',
  parse(raw) {
    const n = viaFlagParser(parseCount, raw, () => this.expected);
    if (n < 1) throw new Invalid(this.expected, raw);
    return n;
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => `${v} days`,
};

export const share: Kind<number> = {
  expected: 'a share greater than 0 and at most 1 (e.g. 0.4 or 40%)',
  parse(raw) {
    const text = asText(raw)?.trim() ?? '';
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
    const n = percent ? Number(percent[1]) / 100 : /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
    if (!(n > 0 && n <= 1)) throw new Invalid(this.expected, raw);
    return n;
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => `${Math.round(v * 1000) / 10}%`,
};

export function oneOf<T extends string>(values: readonly T[]): Kind<T> {
  return {
    expected: `one of ${values.join(', ')}`,
    parse(raw) {
      if (typeof raw === 'string' && (values as readonly string[]).includes(raw.trim())) return raw.trim() as T;
      throw new Invalid(this.expected, raw);
    },
    fromText: identity,
    toRaw: (v) => v,
    format: (v) => v,
  };
}

export const modelId: Kind<string> = {
  expected: 'a model id (e.g. claude-sonnet-4-5)',
  parse(raw) {
    if (typeof raw === 'string' && /^\S+$/.test(raw.trim())) return raw.trim();
    throw new Invalid(this.expected, raw);
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => v,
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `10m`, `90s`, `1h`, `1.5h`; `off` (or false) turns the idle stop off. */
export const duration: Kind<number | null> = {
  expected: 'a duration such as 90s, 10m or 1h, or off',
  parse(raw) {
    if (raw === false || (typeof raw === 'string' && raw.trim().toLowerCase() === 'off')) return null;
    const match = typeof raw === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(raw.trim()) : null;
    const ms = match ? Math.round(Number(match[1]) * UNIT_MS[match[2]!]!) : NaN;
    if (!(ms >= 1_000 && ms <= 7 * 24 * 3_600_000)) throw new Invalid(this.expected, raw);
    return ms;
  },
  fromText: identity,
  toRaw: (v) => formatDuration(v),
  format: (v) => formatDuration(v),
};

function formatDuration(ms: number | null): string {
  if (ms === null) return 'off';
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}

const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];

export const bool: Kind<boolean> = {
  expected: 'true or false',
  parse(raw) {
    if (typeof raw === 'boolean') return raw;
    const text = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (TRUE.includes(text)) return true;
    if (FALSE.includes(text)) return false;
    throw new Invalid(this.expected, raw);
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => String(v),
};

/** The team ledger: a PostgreSQL URL (what src/ledger/open-ledger.ts accepts). */
export const ledgerUrl: Kind<string> = {
  expected: 'a PostgreSQL URL like postgres://user@host/db',
  parse(raw) {
    if (typeof raw === 'string' && /^postgres(ql)?:\/\/\S+$/i.test(raw.trim())) return raw.trim();
    throw new Invalid(this.expected, typeof raw === 'string' ? raw.replace(/:[^:@/]*@/, ':***@') : raw);
  },
  fromText: identity,
  toRaw: (v) => v,
  format: (v) => v.replace(/:[^:@/]*@/, ':***@'),
};

/** Text for a list: a JSON array (`["a","b"]`), else comma-separated items. */
function listFromText(text: string): unknown {
  if (!text.trim().startsWith('['))
    return text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function listOf(expected: string, item: (raw: unknown, index: number) => string): Kind<readonly string[]> {
  return {
    expected,
    parse(raw) {
      if (!Array.isArray(raw)) throw new Invalid(this.expected, raw);
      return raw.map(item);
    },
    fromText: listFromText,
    toRaw: (v) => [...v],
    format: (v) => (v.length === 0 ? 'none' : v.join(', ')),
  };
}

export const toolNames = listOf('a list of tool names (e.g. [WebSearch, WebFetch])', (raw, index) => {
  if (typeof raw === 'string' && /^\S+$/.test(raw.trim())) return raw.trim();
  throw new Invalid('a tool name', raw, [index]);
});

export const regexList = listOf('a list of regular expressions', (raw, index) => {
  if (typeof raw === 'string' && raw !== '') {
    try {
      new RegExp(raw);
      return raw;
    } catch (err) {
      throw new Invalid(`a valid regular expression (${(err as Error).message})`, raw, [index]);
    }
  }
  throw new Invalid('a regular expression', raw, [index]);
});

/** `allowRoutes` entries: `POST /v1/files`, `* /v1/things/*`. */
export const routeList = listOf('a list of routes such as "POST /v1/files"', (raw, index) => {
  if (typeof raw === 'string' && isRoutePattern(raw)) return raw.trim().replace(/^(\S+)\s+/, (m: string) => `${m.trim().toUpperCase()} `);
  throw new Invalid('a route: a method (or *) and a path starting with /, such as "POST /v1/files"', raw, [index]);
});

export const hostPatterns = listOf('a list of host names or patterns (e.g. [github.com, "*.npmjs.org"])', (raw, index) => {
  if (typeof raw === 'string' && /^[a-z0-9*.:[\]-]+$/i.test(raw.trim()) && !raw.trim().startsWith('.')) return raw.trim().toLowerCase();
  throw new Invalid('a host name or pattern such as github.com or *.npmjs.org', raw, [index]);
});

/** How a found value is quoted in a message: strings in quotes, structures by their shape. */
export function describeFound(raw: unknown): string {
  if (raw === undefined) return 'nothing';
  if (raw === null) return 'an empty value';
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
  return typeof raw === 'object' ? 'a mapping' : typeof raw;
}
