import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../../src');

/** Every .ts/.tsx file under `dir`, as paths relative to src. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path.relative(SRC, full)] : [];
  });
}

/**
 * The relative imports a file names at its top, type-only ones included: a cycle of types is no
 * failure at run time, but it still ties two modules into one. `await import()` loads lazily,
 * after every module has finished loading, so it is left out.
 */
function staticImports(text: string): string[] {
  const statement = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^;'"]*?\s+from\s+)?'(\.[^']+)'/gm;
  return [...text.matchAll(statement)].map((m) => m[1]!);
}

function resolveImport(from: string, spec: string, files: ReadonlySet<string>): string | null {
  const base = path.join(path.dirname(from), spec).replace(/\.js$/, '');
  return [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((f) => files.has(f)) ?? null;
}

/** Cycles in the graph, each as the files along it (depth-first search, one cycle per back edge). */
function findCycles(graph: ReadonlyMap<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('module graph of src/', () => {
  it('reads static imports and skips lazy ones', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import { type C, type D } from './c.js';",
      "import { type E, f } from './e.js';",
      "export { g } from './g.js';",
      "export type { H } from './h.js';",
      "import './side.js';",
      "const lazy = await import('./lazy.js');",
      "import fs from 'node:fs';",
    ].join('\n');
    expect(staticImports(text)).toEqual(['./a.js', './b.js', './c.js', './e.js', './g.js', './h.js', './side.js']);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });

  it('has no import cycle (value or type)', () => {
    const files = sourceFiles(SRC);
    const known = new Set(files);
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const text = fs.readFileSync(path.join(SRC, file), 'utf8');
      graph.set(
        file,
        staticImports(text).flatMap((spec) => resolveImport(file, spec, known) ?? []),
      );
    }
    expect(files.length).toBeGreaterThan(100);
    expect(findCycles(graph)).toEqual([]);
  });
});
