import { readFileSync } from 'node:fs';

/** capped's version, from its package.json; `bin/capped.js` answers `--version` with it alone. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
