#!/usr/bin/env node
// Thin shim: the real entry decides everything; we only set the exit code it returns. It runs the
// bundle (dist/bundle/, made by scripts/bundle.js), which loads far fewer files than dist/cli/.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // The one answer that needs nothing else of capped loaded: `--version` starts as fast as node.
  const { packageVersion } = await import('../dist/bundle/version.js');
  process.stdout.write(`${packageVersion()}\n`);
} else {
  const { main } = await import('../dist/bundle/main.js');
  process.exitCode = await main(args);
}
