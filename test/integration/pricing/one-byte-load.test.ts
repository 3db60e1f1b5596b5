import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lazyRequireOneByte, oneByteSource } from '../../../src/lazy-require.js';

const require = createRequire(import.meta.url);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-one-byte-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('oneByteSource', () => {
  it('writes every character above U+00FF as an escape, leaving Latin-1 as it is', () => {
    const source = 'const a = "storytelling — now 🐬, café"; /* naïve — */';
    const out = oneByteSource(source);
    expect([...out].every((c) => c.charCodeAt(0) <= 0xff)).toBe(true);
    expect(out).toBe('const a = "storytelling \\u2014 now \\ud83d\\udc2c, café"; /* naïve \\u2014 */');
  });
});

describe('lazyRequireOneByte', () => {
  it('gives a module the same values in strings, templates, regular expressions and identifiers', () => {
    const file = path.join(dir, 'data.cjs');
    fs.writeFileSync(
      file,
      [
        'const ünïcode_名 = "Dolphin 2.9 🐬 — fast";',
        'exports.name = ünïcode_名;',
        'exports.template = `${ünïcode_名} — ok`;',
        'exports.matches = /[—🐬]/u.test("🐬") && /—/.test("a — b");',
        'exports.list = [{ description: "Tamil and Malayalam—alongside" }];',
      ].join('\n'),
    );
    const loaded = lazyRequireOneByte<Record<string, unknown>>(file)();
    expect(loaded).toEqual({
      name: 'Dolphin 2.9 🐬 — fast',
      template: 'Dolphin 2.9 🐬 — fast — ok',
      matches: true,
      list: [{ description: 'Tamil and Malayalam—alongside' }],
    });
    // One module in the process: a plain require afterwards gets the same one.
    expect(require(file)).toBe(loaded);
  });

  it('gives back the module a plain require loaded first, instead of a second copy', () => {
    const file = path.join(dir, 'first.cjs');
    fs.writeFileSync(file, 'exports.at = Symbol("first");');
    const plain = require(file) as unknown;
    expect(lazyRequireOneByte(file)()).toBe(plain);
  });

  it('leaves nothing in the module cache when the file throws', () => {
    const file = path.join(dir, 'throws.cjs');
    fs.writeFileSync(file, 'throw new Error("broken — on purpose");');
    expect(() => lazyRequireOneByte(file)()).toThrow('broken — on purpose');
    expect(require.cache[file]).toBeUndefined();
  });
});

describe('genai-prices loaded one byte a character', () => {
  // Each in a fresh node (one module per process), with the built module (npm test builds first).
  const BUILT = path.resolve(__dirname, '../../../dist/lazy-require.js');
  const load = (how: 'plain' | 'one-byte'): { heldKb: number; prices: unknown[] } => {
    const script = `
      import v8 from 'node:v8';
      import { createRequire } from 'node:module';
      const { lazyRequireOneByte } = await import(${JSON.stringify(BUILT)});
      const large = () => { globalThis.gc(); globalThis.gc(); return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'large_object_space').space_used_size; };
      const before = large();
      const genai = ${JSON.stringify(how)} === 'plain' ? createRequire(${JSON.stringify(BUILT)})('@pydantic/genai-prices') : lazyRequireOneByte('@pydantic/genai-prices')();
      const usage = { input_tokens: 123456, output_tokens: 7890, cache_read_tokens: 100000 };
      const prices = [['claude-sonnet-4-5', 'anthropic'], ['gpt-4.1-mini', 'openai'], ['gemini-2.5-pro', 'google']].map(([model, providerId]) => {
        const p = genai.calcPrice(usage, model, { providerId });
        return [p?.model.name, p?.total_price];
      });
      console.log(JSON.stringify({ heldKb: Math.round((large() - before) / 1024), prices }));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    return JSON.parse(child.stdout) as { heldKb: number; prices: unknown[] };
  };

  it('prices as the package required as usual does, and keeps its source in half the memory', () => {
    const plain = load('plain');
    const oneByte = load('one-byte');
    expect(oneByte.prices).toEqual(plain.prices);
    expect(plain.prices.every((p) => Array.isArray(p) && typeof p[1] === 'number' && p[1] > 0)).toBe(true);
    // V8 keeps a module's source while its functions live; a big one sits in the large-object space.
    expect(plain.heldKb).toBeGreaterThan(800);
    expect(oneByte.heldKb).toBeLessThan(plain.heldKb * 0.6);
  });
});
