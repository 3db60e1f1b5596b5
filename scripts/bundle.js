// The CLI the bin runs is a bundle of dist/'s modules (issue 11): Node's ES module loader pays for
// every file it resolves, reads and links (about 0.4 ms a file here), and `capped run` loaded 129
// of ours before the agent started. The bundler is rolldown, for its chunk groups: every module a
// plain run loads (the static imports reached from the roots below) goes into one `core` chunk,
// so a run loads 6 files. The code's other dynamic imports (the terminal UI, the sealed mode, the
// other commands, PostgreSQL) stay split off and lazy; packages stay outside the bundle.
//
// It bundles tsc's output (dist/), so it needs no TypeScript or JSX settings of its own.
// dist/bundle/ sits as deep as dist/cli/, so `new URL('../../package.json', import.meta.url)`
// still finds package.json, and the sealed launcher is an entry of its own next to the chunk
// that spawns it (`new URL('./launcher.js', import.meta.url)`).
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'bundle');

/** What a plain `capped run` loads: these modules and everything they import statically. */
const RUN_ROOTS = ['cli/main.js', 'cli/run.js', 'config/load.js', 'config/flags.js', 'ledger/sqlite-ledger.js'].map((f) => path.join(dist, f));

/** The other entries, which start in a blink on their own: none of their modules goes into `core`. */
const OWN_ENTRIES = ['cli/version.js', 'sealed/launcher.js', 'cli/compile-cache.js'].map((f) => path.join(dist, f));

/** The bundle's one dynamic `import()`, kept out of the chunks the compile cache compiles (src/import-package.ts). */
const IMPORT_PACKAGE = path.join(dist, 'import-package.js');

/** The modules of the `core` chunk and of the other entries, found once the module graph is known (before chunking). */
let core = new Set();
/** For each other entry, the modules it imports (its own module stays in its entry file). */
const own = new Map();
const coreClosure = {
  name: 'core-closure',
  buildEnd() {
    const closure = (roots) => {
      const seen = new Set();
      const todo = [...roots];
      while (todo.length > 0) {
        const id = todo.pop();
        if (seen.has(id)) continue;
        const info = this.getModuleInfo(id);
        if (!info) throw new Error(`scripts/bundle.js: ${path.relative(root, id)} is not in the module graph (a root that no longer exists?)`);
        seen.add(id);
        for (const dep of info.importedIds) if (dep.startsWith(`${dist}/`)) todo.push(dep);
      }
      return seen;
    };
    // An entry's own module stays in its entry file: the launcher runs when it is loaded.
    for (const entry of OWN_ENTRIES) own.set(entry, new Set([...closure([entry])].filter((id) => this.getModuleInfo(id).importers.length > 0)));
    core = closure(RUN_ROOTS);
  },
};

rmSync(outdir, { recursive: true, force: true });
const bundle = await rolldown({
  cwd: root,
  input: { main: 'dist/cli/main.js', version: 'dist/cli/version.js', launcher: 'dist/sealed/launcher.js', 'compile-cache': 'dist/cli/compile-cache.js' },
  platform: 'node',
  // Packages and Node's built-ins are loaded from node_modules / Node, as capped's dependencies.
  external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
  plugins: [coreClosure],
  onLog(level, log, handler) {
    // A module that is both imported and dynamically imported stays where its static import puts
    // it (in `core`): that is the intent, not a mistake.
    if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
    handler(level, log);
  },
});
await bundle.write({
  dir: outdir,
  // CommonJS: Node loads it sooner than ES modules, and V8 can keep its compiled code between
  // runs (src/cli/compile-cache.ts); Node 20 offers neither for ES modules. The package.json
  // written below makes the .js files CommonJS.
  format: 'cjs',
  entryFileNames: '[name].js',
  chunkFileNames: '[name]-[hash].js',
  // Linked, not inline: a stack trace can be mapped back (`node --enable-source-maps`) without
  // the maps being read on every start.
  sourcemap: true,
  charset: 'ascii',
  comments: false,
  // What another entry shares with a run is a chunk of its own, taken first (a group also takes
  // what its modules import), so `--version` and the sealed launcher never load `core`.
  codeSplitting: {
    groups: [
      { name: 'import-package', test: (id) => id === IMPORT_PACKAGE, priority: 2 },
      ...OWN_ENTRIES.map((entry) => ({ name: `${path.basename(entry, '.js')}-shared`, test: (id) => own.get(entry).has(id) && core.has(id), priority: 1 })),
      { name: 'core', test: (id) => core.has(id) },
    ],
  },
});
await bundle.close();
writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
