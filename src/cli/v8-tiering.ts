import type V8 from 'node:v8';
import { lazyRequire } from '../lazy-require.js';

const v8 = lazyRequire<typeof V8>('node:v8');

/** V8 flags that have hot code optimized sooner, and the values that put V8's own back. */
export interface Tiering {
  sooner: string;
  defaults: string;
}

/**
 * V8 optimizes a function only after it has run a while; until then it runs as bytecode or
 * baseline code. Node 20's V8 (11.3) waits for about 200 KB of the function's bytecode to have
 * run (three ticks of a 66 KB budget), Node 22's (12.4) for 3,000 calls. capped's request path is
 * many functions run once or a few times a request, so it reached TurboFan only after a thousand
 * requests or more, while a session is a few hundred. In the proxy bench (1,000 rounds a row,
 * paired, issue 11), these flags took 0.11–0.15 ms off a JSON request's added time and 0.03–0.08
 * ms off a stream's first byte, on both. Node 24's V8 (13.6) optimizes with Maglev after 400
 * calls and so does this already: a lower TurboFan count there gained 0.01–0.03 ms for 20–40 %
 * more CPU, and its flags are left alone, as are those of a V8 not measured here.
 */
export function tieringFor(v8Version: string): Tiering | null {
  const [major, minor] = v8Version.split('.').map(Number);
  if (major === 11 && minor === 3) {
    return { sooner: '--ticks-before-optimization=1 --interrupt-budget=16384', defaults: '--ticks-before-optimization=3 --interrupt-budget=67584' };
  }
  if (major === 12 && minor === 4) return { sooner: '--invocation-count-for-turbofan=500', defaults: '--invocation-count-for-turbofan=3000' };
  return null;
}

/**
 * Has V8 optimize hot code sooner for the rest of the run (tieringFor), and returns what puts its
 * defaults back: V8's compiled code carries a hash of its flags, and the compile cache written at
 * exit is kept only under the defaults (see boundHeapGrowth). V8 reads these flags each time it
 * decides, so setting them at run time takes effect (test/integration/cli/v8-tiering.test.ts).
 */
export function tierUpSooner(
  setFlags: (flags: string) => void = (flags) => v8().setFlagsFromString(flags),
  v8Version: string = process.versions.v8,
): () => void {
  const tiering = tieringFor(v8Version);
  if (tiering === null) return () => {};
  setFlags(tiering.sooner);
  return () => setFlags(tiering.defaults);
}
