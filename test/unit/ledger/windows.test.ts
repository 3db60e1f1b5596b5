import { describe, expect, it } from 'vitest';
import { windowEnd, windowStart } from '../../../src/ledger/windows.js';

describe('budget windows (local time)', () => {
  const wed = new Date(2026, 2, 4, 15, 30); // Wednesday 4 March 2026, 15:30

  it('a day runs from midnight to midnight', () => {
    expect(windowStart('daily', wed)).toEqual(new Date(2026, 2, 4));
    expect(windowEnd('daily', wed)).toEqual(new Date(2026, 2, 5));
  });

  it('a week runs from Monday to Monday, Sunday included in the week before', () => {
    expect(windowStart('weekly', wed)).toEqual(new Date(2026, 2, 2));
    expect(windowEnd('weekly', wed)).toEqual(new Date(2026, 2, 9));
    const sunday = new Date(2026, 2, 8, 23, 59);
    expect(windowStart('weekly', sunday)).toEqual(new Date(2026, 2, 2));
    const monday = new Date(2026, 2, 9, 0, 0);
    expect(windowStart('weekly', monday)).toEqual(new Date(2026, 2, 9));
  });
});
