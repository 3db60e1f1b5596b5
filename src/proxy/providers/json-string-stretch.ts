import { JSON_STRING_WASM } from './json-string-wasm.js';

/** What reading a stretch of a JSON string's body found. */
export interface Stretch {
  /** UTF-16 code units of raw[from, stop): an escape is one, a character outside the BMP two. */
  units: number;
  /** Where reading stopped: `to`, a quote not escaped, or the backslash of an escape cut by `to` or not allowed. */
  stop: number;
  why: 'end' | 'quote' | 'cut' | 'bad';
  /** Whether raw[from, stop) holds a raw control character, and a byte over 0x7f. */
  control: boolean;
  nonAscii: boolean;
}

/** Reads raw[from, to) as the body of a JSON string, up to its first quote not escaped. */
export type StretchReader = (raw: Buffer, from: number, to: number) => Stretch;

/** The little of the WebAssembly API used here (TypeScript declares it only with the DOM's types). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface ScanExports {
  memory: { buffer: ArrayBuffer };
  scan(start: number, end: number): number;
  units: { value: number };
  flags: { value: number };
}

/** Where the stretch goes in the module's memory (below: its byte classes), and at most how much at a time. */
const BASE = 256;
const WINDOW = 65536;
const WHY = ['end', 'quote', 'cut', 'bad'] as const;

let simd: StretchReader | null | undefined;

/**
 * The stretch reader of json-string.wat, 16 bytes at a time (WebAssembly SIMD), made on first use;
 * null where this Node cannot run it, and the callers' JavaScript scans read instead.
 */
export function simdStretches(): StretchReader | null {
  if (simd === undefined) simd = stretchReaderOf(Buffer.from(JSON_STRING_WASM, 'base64'));
  return simd;
}

/** The stretch reader of a module's bytes (json-string.wat's); null when this Node cannot run it. */
export function stretchReaderOf(bytes: Uint8Array): StretchReader | null {
  let wasm: ScanExports;
  try {
    const module = new WebAssembly.Module(bytes);
    wasm = new WebAssembly.Instance(module).exports as ScanExports;
  } catch {
    return null; // no WebAssembly SIMD on this CPU (V8 needs SSE4.1 on x64)
  }
  // The memory never grows (the module has no memory.grow), so this view stays valid.
  const memory = Buffer.from(wasm.memory.buffer);
  return (raw, from, to) => {
    let units = 0;
    let flags = 0;
    for (let at = from; ;) {
      const n = Math.min(WINDOW, to - at);
      raw.copy(memory, BASE, at, at + n);
      const stop = wasm.scan(BASE, BASE + n) - BASE + at;
      units += wasm.units.value;
      const found = wasm.flags.value;
      flags |= found;
      const why = found >> 8;
      // A window that is not the stretch's end: go on after it, or from an escape it cut.
      if (at + n < to && (why === 0 || why === 2)) {
        at = why === 0 ? at + n : stop;
        continue;
      }
      return { units, stop, why: WHY[why]!, control: (flags & 1) !== 0, nonAscii: (flags & 2) !== 0 };
    }
  };
}
