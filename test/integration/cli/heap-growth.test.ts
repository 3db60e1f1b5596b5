import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundHeapGrowth, HEAP_FLAGS } from '../../../src/cli/memory-trim.js';

const BUILT = path.resolve(__dirname, '../../../dist/cli/memory-trim.js');

/**
 * A fresh node, as the CLI's process: the built boundHeapGrowth (or not), then traffic like a
 * proxy's (garbage, and objects that live a while as requests in flight do). V8 flags set at run
 * time are the point, so it cannot run in the test's own process, whose heap is already sized.
 */
function heapUnderLoad(bound: boolean): { newAtEnd: number; peakHeap: number; stderr: string } {
  const script = `
    import v8 from 'node:v8';
    const { boundHeapGrowth } = await import(${JSON.stringify(BUILT)});
    if (${bound}) boundHeapGrowth();
    const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const live = new Array(4000);
    let peakHeap = 0;
    for (let i = 0; i < 400000; i++) {
      live[i % live.length] = { id: i, text: 'event ' + i, parts: [i, i + 1, i + 2] };
      JSON.parse(JSON.stringify({ i, s: 'x'.repeat(64) }));
      if (i % 1000 === 0) peakHeap = Math.max(peakHeap, v8.getHeapStatistics().total_heap_size);
    }
    console.log(JSON.stringify({ newAtEnd: newSpace(), peakHeap }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the heap probe exited ${child.status}: ${child.stderr}`);
  return { ...(JSON.parse(child.stdout) as { newAtEnd: number; peakHeap: number }), stderr: child.stderr };
}

const MB = 1024 * 1024;

describe('boundHeapGrowth', () => {
  it('sets the two V8 flags, each on its own', () => {
    const set: string[] = [];
    boundHeapGrowth((flag) => set.push(flag));
    expect(set).toEqual([...HEAP_FLAGS]);
  });

  it('keeps the young generation at its size and the whole heap under half of what V8 lets it grow to, in this Node', () => {
    const free = heapUnderLoad(false);
    const bound = heapUnderLoad(true);
    // The control: without the flags this load does grow the young generation to its 32 MB.
    expect(free.newAtEnd).toBeGreaterThanOrEqual(16 * MB);
    expect(bound.newAtEnd).toBeLessThanOrEqual(4 * MB);
    expect(bound.peakHeap).toBeLessThan(free.peakHeap / 2);
    // A flag this Node does not know is reported on stderr ("unrecognized flag") and does nothing.
    expect(bound.stderr).toBe('');
  }, 30_000);
});
