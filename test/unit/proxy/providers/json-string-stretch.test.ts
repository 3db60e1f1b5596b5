import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileWat, moduleText, TS_FILE } from '../../../../scripts/build-wasm.js';
import { simdStretches, stretchReaderOf, type Stretch, type StretchReader } from '../../../../src/proxy/providers/json-string-stretch.js';

/** What reading raw[from, to) must find, worked out one byte at a time. */
function expected(raw: Buffer, from: number, to: number): Stretch {
  let units = 0;
  let control = false;
  let nonAscii = false;
  const end = (why: Stretch['why'], stop: number): Stretch => ({ units, stop, why, control, nonAscii });
  for (let p = from; p < to;) {
    const b = raw[p]!;
    if (b === 0x22) return end('quote', p);
    if (b === 0x5c) {
      if (p + 1 >= to) return end('cut', p);
      const letter = String.fromCharCode(raw[p + 1]!);
      if ('"\\/bfnrt'.includes(letter)) {
        units++;
        p += 2;
        continue;
      }
      if (letter !== 'u') return end('bad', p);
      if (p + 6 > to) return end('cut', p);
      if (!/^[0-9a-fA-F]{4}$/.test(raw.toString('latin1', p + 2, p + 6))) return end('bad', p);
      units++;
      p += 6;
      continue;
    }
    if (b < 0x20) control = true;
    if (b >= 0x80) nonAscii = true;
    if (b < 0x80 || b >= 0xc0) units += b >= 0xf0 ? 2 : 1;
    p++;
  }
  return end('end', to);
}

/** Pieces of JSON string bodies: plain text, each escape, characters of 2 to 4 bytes, and the faults. */
const PARTS = ['abc def ', 'x', '\\n', '\\"', '\\\\', '\\/', '\\b\\f\\r\\t', '\\u00e9', '\\uD83D\\uDE00', '\\u12aF', 'é', '中文', '😀'];
const FAULTS = ['"', '\t', '\\x', '\\u12G4', '\u0001'];

function randomBody(seed: number, bytes: number, faults: boolean): Buffer {
  let x = seed;
  const next = (n: number): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % n;
  };
  let out = '';
  while (Buffer.byteLength(out) < bytes) {
    out += faults && next(40) === 0 ? FAULTS[next(FAULTS.length)]! : PARTS[next(PARTS.length)]!;
    if (next(3) === 0) out += 'plain text '.repeat(next(4));
  }
  return Buffer.from(out);
}

const simd = simdStretches();

describe('the WebAssembly stretch reader (json-string.wat)', () => {
  it('runs on this machine (V8 with WebAssembly SIMD)', () => {
    expect(simd).not.toBeNull();
  });

  it('is null, for the JavaScript scans to read instead, where the module does not compile', () => {
    // As on a CPU without the SIMD V8 needs: WebAssembly.Module throws.
    expect(stretchReaderOf(Buffer.from('not a WebAssembly module'))).toBeNull();
    expect(stretchReaderOf(Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01]))).toBeNull();
  });

  it('is the .wat as it stands: json-string-wasm.ts holds what the .wat compiles to', async () => {
    // Edit the .wat, then `npm run build:wasm`.
    expect(readFileSync(TS_FILE, 'utf8')).toBe(moduleText(await compileWat()));
  });

  it('finds what a byte-by-byte reading finds, from and to anywhere (escapes and characters cut too)', () => {
    const read = simd as StretchReader;
    for (let seed = 1; seed <= 300; seed++) {
      const raw = randomBody(seed, 20 + (seed % 50) * 17, seed % 2 === 0);
      for (let k = 0; k < 20; k++) {
        const from = (seed * 7 + k * 13) % raw.length;
        const to = from + ((seed * 31 + k * 101) % (raw.length - from + 1));
        expect(read(raw, from, to), `seed ${seed} [${from}, ${to})`).toEqual(expected(raw, from, to));
      }
    }
  });

  it('counts what JSON.parse counts in a well-formed body', () => {
    const read = simd as StretchReader;
    for (let seed = 1; seed <= 100; seed++) {
      const raw = randomBody(seed, 300 + seed * 40, false);
      const s = read(raw, 0, raw.length);
      expect(s.why).toBe('end');
      expect(s.units).toBe((JSON.parse(`"${raw.toString()}"`) as string).length);
    }
  });

  it('reads a stretch longer than its 64 KB window, whatever straddles the window’s edge', () => {
    const read = simd as StretchReader;
    const WINDOW = 65536;
    for (const part of ['\\u00e9', '\\n', '😀', 'é', '\\"', '"', '\\x']) {
      for (let shift = 0; shift <= 7; shift++) {
        const raw = Buffer.concat([Buffer.from('a'.repeat(WINDOW - shift)), Buffer.from(part), Buffer.from('b\\tc'.repeat(5000))]);
        for (const to of [raw.length, WINDOW - shift + 3, WINDOW + 1]) {
          expect(read(raw, 0, to), `${part} at ${WINDOW - shift}, to ${to}`).toEqual(expected(raw, 0, to));
        }
        expect(read(raw, 5, raw.length), `${part} from 5`).toEqual(expected(raw, 5, raw.length));
      }
    }
  });
});
