import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundHeapGrowth, DEFAULT_FLAGS, OLD_GROWTH_FLAG, YOUNG_BYTES, YOUNG_STOP_FLAG, type HeapControl } from '../../../src/cli/memory-trim.js';

const BUILT = path.resolve(__dirname, '../../../dist/cli/memory-trim.js');
const MAIN = path.resolve(__dirname, '../../../dist/cli/main.js');

/**
 * A fresh node, as the CLI's process: the built boundHeapGrowth (or not), then traffic like a
 * proxy's (garbage, and objects that live a while as requests in flight do). V8 flags set at run
 * time are the point, so it cannot run in the test's own process, whose heap is already sized.
 */
function heapUnderLoad(bound: boolean | 'cli'): { newAtEnd: number; peakHeap: number; stderr: string } {
  const script = `
    import v8 from 'node:v8';
    const { boundHeapGrowth } = await import(${JSON.stringify(BUILT)});
    if (${bound === true}) boundHeapGrowth();
    // What \`capped run\` sets, through the CLI's own dependencies (main.ts).
    if (${bound === 'cli'}) (await import(${JSON.stringify(MAIN)})).processDeps().tuneV8();
    const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const live = new Array(4000);
    let peakHeap = 0;
    for (let i = 0; i < 400000; i++) {
      live[i % live.length] = { id: i, text: 'event ' + i, parts: [i, i + 1, i + 2] };
      JSON.parse(JSON.stringify({ i, s: 'x'.repeat(64) }));
      if (i % 1000 === 0) {
        peakHeap = Math.max(peakHeap, v8.getHeapStatistics().total_heap_size);
        // Turns of the event loop, as a proxy's: what V8 reports of its collections comes between them.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    console.log(JSON.stringify({ newAtEnd: newSpace(), peakHeap }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the heap probe exited ${child.status}: ${child.stderr}`);
  return { ...(JSON.parse(child.stdout) as { newAtEnd: number; peakHeap: number }), stderr: child.stderr };
}

const MB = 1024 * 1024;

/** A V8 whose young generation is set by hand, and whose collections the test runs. */
function fakeHeap(young: number) {
  const heap = { young, flags: [] as string[], watching: 0, collected: () => {} };
  const control: HeapControl = {
    setFlags: (flag) => heap.flags.push(flag),
    youngBytes: () => heap.young,
    afterCollections(then) {
      heap.watching++;
      heap.collected = then;
      return () => heap.watching--;
    },
  };
  return { heap, control };
}

describe('boundHeapGrowth', () => {
  it('bounds the old space at once, and stops the young generation growing once a collection leaves it at YOUNG_BYTES', () => {
    const { heap, control } = fakeHeap(1024 * 1024);
    boundHeapGrowth(control);
    expect(heap.flags).toEqual([OLD_GROWTH_FLAG]);
    expect(heap.watching).toBe(1);
    heap.young = YOUNG_BYTES / 2;
    heap.collected();
    expect(heap.flags).toEqual([OLD_GROWTH_FLAG]);
    heap.young = YOUNG_BYTES;
    heap.collected();
    expect(heap.flags).toEqual([OLD_GROWTH_FLAG, YOUNG_STOP_FLAG]);
    expect(heap.watching).toBe(0);
  });

  it('what it returns puts V8’s defaults back, and stops watching collections if it still was', () => {
    const { heap, control } = fakeHeap(1024 * 1024);
    const unbound = boundHeapGrowth(control);
    expect(heap.watching).toBe(1);
    unbound();
    expect(heap.watching).toBe(0);
    expect(heap.flags).toEqual([OLD_GROWTH_FLAG, ...DEFAULT_FLAGS]);
  });

  it('a young generation already that large stops at once, with nothing watched', () => {
    const { heap, control } = fakeHeap(YOUNG_BYTES * 2);
    boundHeapGrowth(control);
    expect(heap.flags).toEqual([OLD_GROWTH_FLAG, YOUNG_STOP_FLAG]);
    expect(heap.watching).toBe(0);
  });

  it('in this Node, stops the young generation at YOUNG_BYTES and keeps the whole heap well under what V8 lets it grow to', () => {
    const free = heapUnderLoad(false);
    const bound = heapUnderLoad(true);
    // The control: without the flags this load does grow the young generation to its 32 MB.
    expect(free.newAtEnd).toBeGreaterThanOrEqual(16 * MB);
    expect(bound.newAtEnd).toBe(YOUNG_BYTES);
    expect(bound.peakHeap).toBeLessThan(free.peakHeap * 0.6);
    // A flag this Node does not know is reported on stderr ("unrecognized flag") and does nothing.
    expect(bound.stderr).toBe('');
  }, 30_000);

  it('is what the CLI sets for a run (main.ts: tuneV8)', () => {
    const cli = heapUnderLoad('cli');
    expect(cli.newAtEnd).toBe(YOUNG_BYTES);
    expect(cli.stderr).toBe('');
  }, 30_000);
});
