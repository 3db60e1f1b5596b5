/**
 * `import()` of a package that only ships an ES module (Ink, conf, chokidar). It is the bundle's
 * one dynamic import and sits in a chunk of its own (scripts/bundle.js): code compiled from the
 * compile cache (src/cli/compile-cache.ts) has no dynamic import callback, so the cache leaves
 * files with an `import(` to Node, and the chunks a run starts with have none.
 */
export function importPackage<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
