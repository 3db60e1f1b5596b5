import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tierUpSooner, tieringFor } from '../../../src/cli/v8-tiering.js';

const BUILT = path.resolve(__dirname, '../../../dist/cli/v8-tiering.js');
const MAIN = path.resolve(__dirname, '../../../dist/cli/main.js');

/**
 * A fresh node, as the CLI's process: the built tierUpSooner (or not), then a small function
 * called 700 times, fewer than V8's defaults wait for on Node 20 and 22. What V8 made of it is
 * asked with a natives call, which needs a flag at start; only the test's child passes it.
 */
function probe(sooner: boolean | 'cli'): { optimized: boolean; stderr: string } {
  const script = `
    const { tierUpSooner } = await import(${JSON.stringify(BUILT)});
    if (${sooner === true}) tierUpSooner();
    // What \`capped run\` sets, through the CLI's own dependencies (main.ts).
    if (${sooner === 'cli'}) (await import(${JSON.stringify(MAIN)})).processDeps().tuneV8();
    function work(x) { const o = { a: x, b: String(x) }; return o.b.length + o.a; }
    let sum = 0;
    for (let i = 0; i < 700; i++) {
      sum += work(i);
      // Turns of the event loop, as a proxy's requests are.
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // TurboFan compiles on a thread of its own: time for it to finish.
    for (let k = 0; k < 20; k++) await new Promise((resolve) => setTimeout(resolve, 5));
    console.log(JSON.stringify({ optimized: (%GetOptimizationStatus(work) & 16) !== 0, sum }));`;
  const child = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the tiering probe exited ${child.status}: ${child.stderr}`);
  return { optimized: (JSON.parse(child.stdout) as { optimized: boolean }).optimized, stderr: child.stderr };
}

/** `flag`'s default in this Node, as `node --v8-options` prints it (`default: --flag=value`). */
function v8Default(options: string, flag: string): string | undefined {
  const at = options.indexOf(`\n  --${flag} `);
  if (at === -1) return undefined;
  return /default: (--\S+)/.exec(options.slice(at, at + 600))?.[1];
}

describe('tieringFor', () => {
  it('has Node 20 (V8 11.3) and Node 22 (V8 12.4) optimize sooner, and leaves Node 24 (V8 13.6) and V8s not measured alone', () => {
    expect(tieringFor('11.3.244.8-node.33')).toEqual({
      sooner: '--ticks-before-optimization=1 --interrupt-budget=16384',
      defaults: '--ticks-before-optimization=3 --interrupt-budget=67584',
    });
    expect(tieringFor('12.4.254.21-node.33')).toEqual({ sooner: '--invocation-count-for-turbofan=500', defaults: '--invocation-count-for-turbofan=3000' });
    expect(tieringFor('13.6.233.17-node.40')).toBeNull();
    expect(tieringFor('11.8.172.17-node.18')).toBeNull();
    expect(tieringFor('12.9.202.28-node.14')).toBeNull();
  });

  it('tierUpSooner sets the flags, and what it returns sets the defaults back; where nothing is measured, it sets nothing', () => {
    const set: string[] = [];
    const untier = tierUpSooner((f) => set.push(f), '11.3.244.8-node.33');
    expect(set).toEqual(['--ticks-before-optimization=1 --interrupt-budget=16384']);
    untier();
    expect(set).toEqual(['--ticks-before-optimization=1 --interrupt-budget=16384', '--ticks-before-optimization=3 --interrupt-budget=67584']);
    const none: string[] = [];
    tierUpSooner((f) => none.push(f), '13.6.233.17-node.40')();
    expect(none).toEqual([]);
  });
});

describe('tierUpSooner in this Node', () => {
  const tiering = tieringFor(process.versions.v8);

  it('puts back exactly V8’s own defaults, of flags this V8 has', () => {
    if (tiering === null) {
      expect(probe(true).stderr).toBe('');
      return;
    }
    const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    const pairs = (flags: string) => flags.split(' ').map((f) => [f.slice(2, f.indexOf('=')), f] as const);
    for (const [flag, value] of pairs(tiering.defaults)) expect(v8Default(options, flag)).toBe(value);
    // The flags it sets are this V8's too (an unknown one is reported on stderr and does nothing).
    for (const [flag] of pairs(tiering.sooner)) expect(v8Default(options, flag)).toBeDefined();
  });

  it('has a function called 700 times optimized, where V8 left alone does not yet; or, where it sets nothing, changes nothing', () => {
    const sooner = probe(true);
    expect(sooner.stderr).toBe('');
    const plain = probe(false);
    if (tiering === null) expect(sooner.optimized).toBe(plain.optimized);
    else {
      expect(plain.optimized).toBe(false);
      expect(sooner.optimized).toBe(true);
    }
  }, 30_000);

  it('is what the CLI sets for a run (main.ts: tuneV8)', () => {
    const cli = probe('cli');
    expect(cli.stderr).toBe('');
    expect(cli.optimized).toBe(tiering === null ? probe(false).optimized : true);
  }, 30_000);
});
