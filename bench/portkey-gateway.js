// Child process for bench/proxy-overhead.js: Portkey's open-source AI gateway
// (@portkey-ai/gateway, a devDependency), as its own `start-server.js` runs it, but bound to
// loopback on a free port (its CLI only takes --port and listens on every interface). Its own
// console output goes to stderr, discarded by the bench; stdout carries one JSON line
// {"origin": ...} once it listens. Exits when stdin closes.
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function loopbackOnly(...args) {
  this.once('listening', () => fs.writeSync(1, `${JSON.stringify({ origin: `http://127.0.0.1:${this.address().port}` })}\n`));
  const port = typeof args[0] === 'object' && args[0] !== null ? args[0].port : args[0];
  return listen.call(this, { port: port ?? 0, host: '127.0.0.1' });
};
// The gateway's banner, spinner and per-request logs: off stdout, which is the bench's channel.
process.stdout.write = (chunk, encoding, cb) => process.stderr.write(chunk, encoding, cb);
// Portkey appends its x-portkey-* headers to the upstream's fetch Response, whose headers are
// immutable on Node: every stream fails with "TypeError: immutable" (Portkey-AI/gateway issues
// #1389, #1550). Its proposed fix (PR #1551) re-wraps the response in a new Response; the same here.
const upstreamFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const r = await upstreamFetch(...args);
  return new globalThis.Response(r.body, { status: r.status, statusText: r.statusText, headers: r.headers });
};
process.argv.push('--port=0', '--headless');
process.stdin.on('end', () => process.exit(0)).resume();

const require = createRequire(import.meta.url);
const pkg = require.resolve('@portkey-ai/gateway/package.json');
await import(pathToFileURL(path.join(path.dirname(pkg), 'build', 'start-server.js')).href);
