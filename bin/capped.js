#!/usr/bin/env node
// Thin shim: the real entry decides everything; we only set the exit code it returns.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
