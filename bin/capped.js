#!/usr/bin/env node
// Thin shim: the real entry decides everything; we only set the exit code it returns. It runs the
// bundle (dist/bundle/, made by scripts/bundle.js), which loads far fewer files than dist/cli/.
// CommonJS, like the bundle (bin/package.json): Node starts it sooner than an ES module.
'use strict';
const path = require('node:path');

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // The one answer that needs nothing else of capped loaded: `--version` starts as fast as node.
  process.stdout.write(`${require('../dist/bundle/version.js').packageVersion()}\n`);
} else {
  const bundle = path.join(__dirname, '..', 'dist', 'bundle');
  require('../dist/bundle/compile-cache.js').enableCompileCache(bundle);
  require('../dist/bundle/main.js')
    .main(args)
    .then((code) => {
      process.exitCode = code;
    });
}
