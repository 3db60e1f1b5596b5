// The builds a before/after bench compares: this checkout's, and the one `--before` names.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Reads `[--before path/to/other/bin/capped.js]` from `argv`: [{ name: 'before', bin }] when given,
 * then { name: 'after', bin } for this checkout. Anything else ends the bench `script` (exit 2).
 */
export function buildsToCompare(script, argv) {
  const builds = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--before' && argv[i + 1]) builds.push({ name: 'before', bin: path.resolve(argv[++i]) });
    else {
      console.error(`bench/${script}: unknown argument ${argv[i]}; usage: node bench/${script} [--before path/to/bin/capped.js]`);
      process.exit(2);
    }
  }
  builds.push({ name: 'after', bin: path.join(ROOT, 'bin/capped.js') });
  return builds;
}
