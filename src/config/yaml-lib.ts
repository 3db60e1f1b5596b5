import type * as Yaml from 'yaml';
import { lazyRequire } from '../lazy-require.js';

/**
 * The yaml library, loaded the first time a policy file is read or written: a run in a directory
 * without a `.budgetrc` and without user defaults never needs it (it is a tenth of a second of
 * start-up). Required synchronously because reading the policy is synchronous.
 */
export const yamlLib = lazyRequire<typeof Yaml>('yaml');
