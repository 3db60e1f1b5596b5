import { describe, expect, it } from 'vitest';
import { fullCollection } from '../../../../src/cli/memory-trim.js';
import { elementMemo, ResentLists, sharedStart } from '../../../../src/proxy/providers/resent-list.js';

describe('resent lists', () => {
  it('sharedStart counts the elements two lists share from the start, by identity', () => {
    const a = { n: 1 };
    const b = { n: 2 };
    expect(sharedStart([a, b], [a, b, { n: 3 }])).toBe(2);
    expect(sharedStart([a, b], [a, { n: 2 }])).toBe(1);
    expect(sharedStart([], [a])).toBe(0);
  });

  it('elementMemo reads only the elements a list does not share with one seen lately', () => {
    const read: unknown[] = [];
    const memo = elementMemo((e) => {
      read.push(e);
      return (e as { n: number }).n * 10;
    });
    const items = Array.from({ length: 6 }, (_, n) => ({ n }));
    expect(memo(items.slice(0, 4))).toEqual([0, 10, 20, 30]);
    expect(memo(items)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(read).toEqual(items); // each element once
    // Another conversation, then the first again: both followed.
    const other = [{ n: 9 }];
    expect(memo(other)).toEqual([90]);
    expect(memo([...items, { n: 6 }])).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(read).toHaveLength(8);
    // An element replaced: it and what follows are read again.
    expect(memo([items[0], { n: 5 }])).toEqual([0, 50]);
    expect(read).toHaveLength(9);
  });

  it('follows at most four lists, and holds none of them alive', async () => {
    const lists = new ResentLists(() => ({ made: true }));
    const five = Array.from({ length: 5 }, (_, i) => [{ i }]);
    const states = five.map((l) => lists.follow(l).state);
    // The first was dropped for the fifth; the third is still followed.
    expect(lists.follow([five[0]![0]]).same).toBe(0);
    expect(lists.follow([five[2]![0]]).state).toBe(states[2]);
    const ref = (() => {
      const list = [{ gone: true }];
      lists.follow(list);
      return new WeakRef(list);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    fullCollection();
    expect(ref.deref()).toBeUndefined();
  });

  it('lets the state of a list no one holds go, at the next list it follows', async () => {
    const lists = new ResentLists(() => ({ state: true }));
    const state = (() => {
      const list = [{ gone: true }];
      return new WeakRef(lists.follow(list).state);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    fullCollection();
    lists.follow([{ next: true }]);
    await new Promise((resolve) => setImmediate(resolve));
    fullCollection();
    expect(state.deref()).toBeUndefined();
  });
});
