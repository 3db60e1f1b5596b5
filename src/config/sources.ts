import type { Source } from './types.js';

/**
 * A source for people: `flag --max-usd`, `env CAPPED_MAX_USD`, `/repo/.budgetrc:3`, `user config`,
 * `preset team`, `built-in`, or `ceiling in /repo/.budgetrc:4 (lowered from preset team)`.
 */
export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'flag':
      return `flag ${source.flag}`;
    case 'env':
      return `env ${source.variable}`;
    case 'file':
      return `${source.file}:${source.line}`;
    case 'user':
      return 'user config';
    case 'preset':
      return `preset ${source.preset}`;
    case 'builtin':
      return 'built-in';
    case 'ceiling':
      return `ceiling in ${source.file}:${source.line} (lowered from ${describeSource(source.from)})`;
  }
}
