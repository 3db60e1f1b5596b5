import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | null = null;

/**
 * The yaml library, loaded the first time a policy file is read or written: a run in a directory
 * without a `.budgetrc` and without user defaults never needs it (it is a tenth of a second of
 * start-up). Required synchronously because reading the policy is synchronous.
 */
export function yamlLib(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}
