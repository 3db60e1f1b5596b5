import { UsageError } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import { describeFound } from './values.js';

/**
 * A configuration that cannot be used: a broken `.budgetrc`, user config or `CAPPED_*` variable,
 * or a value above a repository ceiling. Exit code 2, raised before anything starts. `problems`
 * holds one complete line per problem; the message is those lines.
 */
export class ConfigError extends UsageError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** `<where>: <key>: expected <expected>, found <found>.` — `where` is e.g. `.budgetrc:3:10`. */
export function valueProblem(where: string, key: string, expected: string, found: unknown): string {
  const prefix = [where, key].filter((part) => part !== '').join(': ');
  return `${prefix}: expected ${expected}, found ${describeFound(found)}.`;
}

/** `<where>: unknown key "maxUSD" — did you mean "maxUsd"?` (candidates are full dotted keys). */
export function unknownKeyProblem(where: string, key: string, candidates: readonly string[]): string {
  const guess = didYouMean(key, candidates);
  const hint = guess === null ? '; `capped config` lists every key.' : ` — did you mean "${guess}"?`;
  return `${where ? `${where}: ` : ''}unknown key "${key}"${hint}`;
}
