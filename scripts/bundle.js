// The CLI the bin runs is a bundle of dist/'s modules (issue 11): Node's ES module loader pays for
// every file it resolves, reads and links, and `capped run` loaded 129 of ours before the agent
// started. Bundled, a run loads a few dozen chunks. The split points are the code's own dynamic
// imports, so what each command loads lazily stays lazy; packages stay outside the bundle.
//
// dist/bundle/ sits as deep as dist/cli/, so `new URL('../../package.json', import.meta.url)`
// still finds package.json, and the sealed launcher is an entry of its own next to the chunk
// that spawns it (`new URL('./launcher.js', import.meta.url)`).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/bundle');
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts', 'src/cli/version.ts', 'src/sealed/launcher.ts'],
  outdir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Linked, not inline: a stack trace can be mapped back (`node --enable-source-maps`) without
  // the maps being read on every start.
  sourcemap: 'linked',
  logLevel: 'warning',
});
