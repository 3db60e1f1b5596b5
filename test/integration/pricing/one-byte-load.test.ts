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
    expect(loaded).toEqual(require(file) as Record<string, unknown>);
    expect(loaded.name).toBe('Dolphin 2.9 🐬 — fast');
    expect(loaded.matches).toBe(true);
  });
});

describe('genai-prices loaded one byte a character', () => {
  it('prices as the package does when required as usual', () => {
    const plain = require('@pydantic/genai-prices') as typeof import('@pydantic/genai-prices');
    const oneByte = lazyRequireOneByte<typeof plain>('@pydantic/genai-prices')();
    expect(oneByte).not.toBe(plain);
    const usage = { input_tokens: 123_456, output_tokens: 7_890, cache_read_tokens: 100_000 };
    for (const [model, providerId] of [
      ['claude-sonnet-4-5', 'anthropic'],
      ['gpt-4.1-mini', 'openai'],
      ['gemini-2.5-pro', 'google'],
    ] as const) {
      const a = oneByte.calcPrice(usage, model, { providerId });
      const b = plain.calcPrice(usage, model, { providerId });
      expect(a?.total_price, model).toBe(b?.total_price);
      expect(a?.model.name).toBe(b?.model.name);
    }
  });
});

describe('the price data held in memory', () => {
  // V8 keeps a module's source while its functions live; a big source sits in the large-object
  // space. Measured in a fresh node, with the built module (npm test builds first).
  const BUILT = path.resolve(__dirname, '../../../dist/lazy-require.js');
  const heldKb = (how: 'plain' | 'one-byte'): number => {
    const script = `
      import v8 from 'node:v8';
      import { createRequire } from 'node:module';
      const { lazyRequireOneByte } = await import(${JSON.stringify(BUILT)});
      const large = () => { globalThis.gc(); globalThis.gc(); return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'large_object_space').space_used_size; };
      const before = large();
      const prices = ${JSON.stringify(how)} === 'plain' ? createRequire(${JSON.stringify(BUILT)})('@pydantic/genai-prices') : lazyRequireOneByte('@pydantic/genai-prices')();
      prices.calcPrice({ input_tokens: 1, output_tokens: 1 }, 'claude-sonnet-4-5', { providerId: 'anthropic' });
      console.log(Math.round((large() - before) / 1024));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    return Number(child.stdout.trim());
  };

  it('keeps the source one byte a character: half what a plain require keeps', () => {
    const plain = heldKb('plain');
    const oneByte = heldKb('one-byte');
    expect(plain).toBeGreaterThan(800);
    expect(oneByte).toBeLessThan(plain * 0.6);
  });
});
