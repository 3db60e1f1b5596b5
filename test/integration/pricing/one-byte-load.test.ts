import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { leadingArray, lazyRequireOneByte, literalAsJson, oneByteSource } from '../../../src/lazy-require.js';

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

describe('leadingArray', () => {
  const literalOf = (source: string): string | null => {
    const at = leadingArray(source);
    return at && source.slice(at.start, at.end);
  };

  it("finds the array the module's first const declares, past brackets and quotes in its strings and templates", () => {
    const data = "[{id:\"a]\",s:'}\\'',t:`x ] $ {`,n:[1,[2]],b:!0},(3)]";
    expect(literalOf(`"use strict";Object.defineProperty(exports,"x",{value:1});const E=${data},X={a:[1]};function f(){return E}`)).toBe(data);
    expect(literalOf('const data = [1, "2"];\nmodule.exports = data;')).toBe('[1, "2"]');
  });

  it('finds none when the first const is not an array, or the literal holds a substitution, a slash or no end', () => {
    for (const source of ['let E=[1];', 'const E={a:[1]};', 'const E=[`${x}`];', 'const E=[/re]/];', 'const E=[1,2', 'const E=["open', 'exports.a=1;'])
      expect(literalOf(source), source).toBeNull();
  });
});

describe('literalAsJson', () => {
  const asJson = (literal: string): string | null => literalAsJson(literal, 0, literal.length);
  const evaluated = (literal: string): unknown => vm.runInThisContext(`(${literal})`) as unknown;

  it('writes a data literal as minifiers print it as JSON of the same value', () => {
    const literals = [
      '[{id:"anthropic",name:"Anthropic",ok:!0,off:!1,n:null,t:true,f:false,x:[1,-2.5,.5,-.25,1e3,2E-7]}]',
      '[{description:`Claude\'s "best" model\nsecond line`,note:\'say "hi"\',$key_1:"tab\\tand \\u00e9 and \\\\ and \\"q\\""}]',
      '[ { a : [ ] , b : { } } , [ [ ] ] ]',
      '["dolphin 🐬 — ok"]',
      "['it\\'s \\u00e9', `a\\nb \\` and \\$ and \"q\"`, `two\nlines`]",
    ];
    for (const literal of literals) {
      const json = asJson(literal);
      expect(json, literal).not.toBeNull();
      expect(JSON.parse(json!), literal).toEqual(evaluated(literal));
    }
  });

  it('refuses what is not plain data: a name, a call, a substitution, a raw control character in quotes, a __proto__ key', () => {
    for (const literal of [
      '[undefined]',
      '[{a:b}]',
      '[f()]',
      '[`${x}`]',
      '[`a\rb`]',
      "['a\tb']",
      '[!2]',
      '[a+1]',
      '[0x10]',
      '[{__proto__:{a:1}}]',
      '[{"__proto__":1}]',
    ])
      expect(asJson(literal), literal).toBeNull();
  });

  it('lets through a JavaScript-only form for JSON.parse to refuse (the loader then runs the literal)', () => {
    for (const literal of ['["\\x41"]', "['\\x41']", "['a\\\nb']", '[5.]', '[{1:2}]']) expect(() => void JSON.parse(asJson(literal)!), literal).toThrow();
  });
});

describe('lazyRequireOneByte with keepData', () => {
  const write = (name: string, source: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, source);
    return file;
  };

  it('runs the module with what keepData kept of its leading array', () => {
    const file = write(
      'leading.cjs',
      '"use strict";const D=[{id:"a",s:"dolphin 🐬 ]"},{id:"b"},{id:"c"}],U={x:1};exports.ids=()=>D.map((p)=>p.id);exports.first=()=>D[0].s;exports.units=U;',
    );
    const seen: unknown[] = [];
    const loaded = lazyRequireOneByte<{ ids(): string[]; first(): string; units: unknown }>(file, (data) => {
      seen.push(data);
      return (data as { id: string }[]).filter((p) => p.id !== 'b');
    })();
    expect(seen).toEqual([[{ id: 'a', s: 'dolphin 🐬 ]' }, { id: 'b' }, { id: 'c' }]]);
    expect(loaded.ids()).toEqual(['a', 'c']);
    expect(loaded.first()).toBe('dolphin 🐬 ]');
    expect(loaded.units).toEqual({ x: 1 });
    expect(require(file)).toBe(loaded);
  });

  it('loads the module whole when its leading array is not data of its own (it names a binding)', () => {
    const file = write('binding.cjs', 'const D=[helper()];function helper(){return "h"}exports.d=D;');
    const keep = (): unknown => ['kept'];
    expect(lazyRequireOneByte<{ d: unknown }>(file, keep)().d).toEqual(['h']);
  });

  it('runs a leading array JSON cannot read (a JavaScript-only escape or number) and still keeps it apart', () => {
    const file = write('js-only.cjs', 'const D=["\\x41",5.,{b:!0}];exports.d=()=>D;');
    const loaded = lazyRequireOneByte<{ d(): unknown }>(file, (data) => [...(data as unknown[]), 'kept'])();
    expect(loaded.d()).toEqual(['A', 5, { b: true }, 'kept']);
  });

  it('loads the module whole when it opens with no array', () => {
    const file = write('no-array.cjs', 'const n=1;exports.n=n;');
    expect(lazyRequireOneByte<{ n: number }>(file, () => ['kept'])().n).toBe(1);
  });

  it('leaves nothing in the module cache when the rest of the module throws', () => {
    const file = write('throws-after.cjs', 'const D=[1];throw new Error("after the data");');
    expect(() => lazyRequireOneByte(file, (d) => d)()).toThrow('after the data');
    expect(require.cache[file]).toBeUndefined();
  });
});

describe('genai-prices as capped loads it', () => {
  // Each in a fresh node (one module per process), with the built modules (npm test builds first).
  const BUILT = path.resolve(__dirname, '../../../dist/lazy-require.js');
  const PRICE_BOOK = path.resolve(__dirname, '../../../dist/pricing/price-book.js');
  type How = 'plain' | 'one-byte' | 'kept';
  interface Loaded {
    /** Growth of the large-object space (where a big source sits) and of the whole old generation. */
    largeKb: number;
    oldKb: number;
    prices: unknown[];
  }
  const load = (how: How): Loaded => {
    const script = `
      import v8 from 'node:v8';
      import { createRequire } from 'node:module';
      const { lazyRequireOneByte } = await import(${JSON.stringify(BUILT)});
      const { keepProviders, PRICED_PROVIDERS } = await import(${JSON.stringify(PRICE_BOOK)});
      const require = createRequire(${JSON.stringify(BUILT)});
      const spaces = () => {
        globalThis.gc();
        globalThis.gc();
        const stats = v8.getHeapSpaceStatistics();
        const large = stats.find((s) => s.space_name === 'large_object_space').space_used_size;
        return { large, old: stats.filter((s) => s.space_name !== 'new_space').reduce((sum, s) => sum + s.space_used_size, 0) };
      };
      const before = spaces();
      const how = ${JSON.stringify(how)};
      const genai = how === 'plain' ? require('@pydantic/genai-prices') : lazyRequireOneByte('@pydantic/genai-prices', how === 'kept' ? keepProviders(PRICED_PROVIDERS) : undefined)();
      const usage = { input_tokens: 323456, output_tokens: 7890, cache_read_tokens: 100000, cache_write_tokens: 20000 };
      const timestamp = new Date('2026-06-01T12:00:00Z');
      const price = ([model, providerId]) => {
        const p = genai.calcPrice(usage, model, { providerId, timestamp });
        return [model, providerId, p?.model.id ?? null, p?.total_price ?? null];
      };
      price(['claude-sonnet-4-5', 'anthropic']);
      // A compile job V8 runs in the background may hold the loader's strings until it is done.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const after = spaces();
      // Then every model id of the priced providers, and one of a provider capped does not price,
      // from a second copy of the whole data (after measuring: the two would share their strings).
      delete require.cache[require.resolve('@pydantic/genai-prices')];
      const whole = require('@pydantic/genai-prices');
      const models = PRICED_PROVIDERS.flatMap((providerId) => whole.findProvider({ providerId }).models.map((m) => [m.id, providerId]));
      models.push(['llama-3.3-70b-versatile', 'groq']);
      const prices = models.map(price);
      console.log(JSON.stringify({ largeKb: Math.round((after.large - before.large) / 1024), oldKb: Math.round((after.old - before.old) / 1024), prices }));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    return JSON.parse(child.stdout) as Loaded;
  };
  const priced = (l: Loaded, providerId: string) => l.prices.filter((p) => (p as unknown[])[1] === providerId);

  it('prices every model of the providers capped prices as the package required as usual does', () => {
    const plain = load('plain');
    const kept = load('kept');
    expect(plain.prices.length).toBeGreaterThan(100);
    for (const providerId of ['anthropic', 'openai', 'google']) {
      expect(priced(kept, providerId), providerId).toEqual(priced(plain, providerId));
      expect(priced(plain, providerId).filter((p) => typeof (p as unknown[])[3] === 'number').length, providerId).toBeGreaterThan(10);
    }
    // A provider capped does not price is dropped: unknown, never $0.
    expect(priced(plain, 'groq')[0]).toEqual(['llama-3.3-70b-versatile', 'groq', expect.any(String), expect.any(Number)]);
    expect(priced(kept, 'groq')[0]).toEqual(['llama-3.3-70b-versatile', 'groq', null, null]);
  });

  it("keeps its source one byte a character, and with the providers kept none of the data's source", () => {
    const plain = load('plain');
    const oneByte = load('one-byte');
    const kept = load('kept');
    expect(oneByte.prices).toEqual(plain.prices);
    // V8 keeps a module's source while its functions live; a big one sits in the large-object space.
    expect(plain.largeKb).toBeGreaterThan(800);
    expect(oneByte.largeKb).toBeLessThan(plain.largeKb * 0.6);
    expect(oneByte.largeKb).toBeGreaterThan(400);
    expect(kept.largeKb).toBeLessThan(100);
    // The data's source and the other providers: over a megabyte of the old generation.
    // The data's source and the other providers' data: 0.8-1.4 MB of the old generation here.
    expect(kept.oldKb).toBeLessThan(oneByte.oldKb * 0.5);
  });
});
