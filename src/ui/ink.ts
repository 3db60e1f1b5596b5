import type * as Ink from 'ink';
import { importPackage } from '../import-package.js';

// Ink is an ES module with top-level await, which `require` cannot load, and capped's bundle is
// CommonJS (scripts/bundle.js: it starts sooner). So the UI takes Ink's parts from here, filled by
// `loadInk()` (an `import()`) before anything renders.

export let Box: typeof Ink.Box;
export let Text: typeof Ink.Text;
let ink: typeof Ink | undefined;

/** Loads Ink once; the UI's components and `renderToString` work after it resolves. */
export async function loadInk(): Promise<void> {
  ink ??= await importPackage<typeof Ink>('ink');
  ({ Box, Text } = ink);
}

/** Ink's `renderToString`, with a clear error if `loadInk()` was forgotten. */
export const renderToString: typeof Ink.renderToString = (node, options) => {
  if (!ink) throw new Error('capped: the terminal UI rendered before Ink was loaded (loadInk())');
  return ink.renderToString(node, options);
};
