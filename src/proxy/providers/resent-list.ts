// An agent resends its whole history with every request, and RequestBodies hands on the objects
// it parsed before for the part that did not change: what is read from each element can then be
// kept, and a request reads only its new elements (issue 11: on a 600-call history each pass over
// every element cost about 0.1 ms a request, mostly in cache misses).

/** How many elements from the start `a` and `b` share, by identity. */
export function sharedStart(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Lists followed at once: a conversation each (an agent and its subagents). */
const LISTS = 4;

/**
 * What is kept of the lists seen last: a state each, made by `fresh`. The lists are held weakly:
 * RequestBodies keeps the bodies it may reuse, and a list no one holds any more is followed no
 * further (its state goes with it on the next call).
 */
export class ResentLists<S> {
  private kept: { ref: WeakRef<readonly unknown[]>; state: S }[] = [];

  constructor(private readonly fresh: () => S) {}

  /**
   * The state of the kept list that shares the longest start with `list` (a fresh state when none
   * does), and how many elements they share; `list` is then kept in that list's place.
   */
  follow(list: readonly unknown[]): { state: S; same: number } {
    let best: { ref: WeakRef<readonly unknown[]>; state: S } | null = null;
    let same = 0;
    const live: { ref: WeakRef<readonly unknown[]>; state: S }[] = [];
    for (const k of this.kept) {
      const seen = k.ref.deref();
      if (seen === undefined) continue;
      live.push(k);
      const shared = sharedStart(seen, list);
      if (shared > same) {
        best = k;
        same = shared;
      }
    }
    if (best !== null) best.ref = new WeakRef(list);
    const entry = best ?? { ref: new WeakRef(list), state: this.fresh() };
    this.kept = [entry, ...live.filter((k) => k !== entry)].slice(0, LISTS);
    return { state: entry.state, same };
  }
}

/**
 * `read` of each element of a list, worked out only for the elements the lists seen last do not
 * share with it (by identity, so the elements must not change once read; parsed bodies do not).
 * The answer is the memo's own array, good until its next call.
 */
export function elementMemo<T>(read: (element: unknown) => T): (list: readonly unknown[]) => readonly T[] {
  const lists = new ResentLists<T[]>(() => []);
  return (list) => {
    const { state: values, same } = lists.follow(list);
    values.length = same;
    for (let i = same; i < list.length; i++) values.push(read(list[i]));
    return values;
  };
}
