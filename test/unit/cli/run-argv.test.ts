import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createProgram, type CliDeps } from '../../../src/cli/main.js';
import { quickRunOptions } from '../../../src/cli/run-argv.js';
import { POLICY_FLAGS } from '../../../src/config/flags.js';

const deps: CliDeps = {
  env: {},
  cwd: '/nonexistent/capped-test',
  stdout: () => {},
  stderr: () => {},
  stdinIsTTY: false,
  stderrIsTTY: false,
  now: () => new Date('2026-01-01T00:00:00.000Z'),
  signals: new EventEmitter(),
};

/** What commander hands `capped run`'s action for `head`: the same program `capped` builds, its action swapped for a catch. */
async function commanderOptions(head: string[]): Promise<Record<string, unknown>> {
  const program = await createProgram(deps, ['agent'], () => {}, ['run']);
  let raw: Record<string, unknown> | null = null;
  program.commands[0]!.action((_unexpected: string[], opts: Record<string, unknown>) => {
    raw = { ...opts };
  });
  await program.parseAsync(head, { from: 'user' });
  if (raw === null) throw new Error(`commander did not run the action for ${head.join(' ')}`);
  return raw;
}

const VALUES = ['2', '1.50', 'abc', '', '200k', 'claude-haiku-4-5', 'a=b', 'x y', '0'];
const WITH_VALUE = [...POLICY_FLAGS.filter((f) => f.option !== f.flag).map((f) => f.flag), '--record', '--summary-html'];
const SWITCHES = [...POLICY_FLAGS.filter((f) => f.option === f.flag).map((f) => f.flag), '--no-unattended'];

/** A deterministic pseudo-random source, so a failure names a line that can be run again. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('quickRunOptions: a plain run line read without commander', () => {
  it('gives exactly what commander gives, for 300 random lines of known options', async () => {
    const rand = lcg(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    for (let n = 0; n < 300; n++) {
      const head = ['run'];
      const words = Math.floor(rand() * 6);
      for (let w = 0; w < words; w++) {
        if (rand() < 0.3) head.push(pick(SWITCHES));
        else if (rand() < 0.5) head.push(`${pick(WITH_VALUE)}=${pick(VALUES)}`);
        else head.push(pick(WITH_VALUE), pick(VALUES.filter((v) => v !== '')));
      }
      const quick = quickRunOptions(head);
      expect(quick, head.join(' ')).not.toBeNull();
      expect(quick, head.join(' ')).toEqual(await commanderOptions(head));
    }
  });

  it('knows every option `capped run` defines, and no other', async () => {
    const program = await createProgram(deps, ['agent'], () => {}, ['run']);
    const defined = program.commands[0]!.options.map((o) => o.long).sort();
    expect([...WITH_VALUE, ...SWITCHES].sort()).toEqual(defined);
  });

  it('leaves every other line to commander, with its own messages', () => {
    for (const head of [
      ['runs'],
      ['run', '--help'],
      ['run', '-h'],
      ['run', '--version'],
      ['run', '--bogus'],
      ['run', 'claude'],
      ['run', '--max-usd'],
      ['run', '--max-usd', '-1'],
      ['run', '--max-usd', '--sealed'],
      ['run', '--sealed=yes'],
      ['run', '--no-sealed'],
      ['run', '-m', '2'],
      ['help', 'run'],
    ]) {
      expect(quickRunOptions(head), head.join(' ')).toBeNull();
    }
    expect(quickRunOptions(['run'])).toEqual({});
  });
});
