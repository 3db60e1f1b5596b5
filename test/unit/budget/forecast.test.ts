import { describe, expect, it } from 'vitest';
import { escalationProjection, forecast, MIN_ELAPSED_MS, MIN_REQUESTS } from '../../../src/budget/forecast.js';

const USD = 1_000_000_000;

describe('forecast', () => {
  it('gives spend per minute, time and turns left at the current rate', () => {
    // $0.30 in 3 requests over 2 minutes, $1.50 cap: $0.15/min, $1.20 left = 8 minutes = 12 turns
    expect(forecast({ spentNano: 0.3 * USD, requests: 3, elapsedMs: 120_000, capNano: 1.5 * USD })).toEqual({
      perMinuteNano: 0.15 * USD,
      perTurnNano: 0.1 * USD,
      msLeft: 480_000,
      turnsLeft: 12,
    });
  });

  it('says nothing with too few requests, too little time, or nothing spent', () => {
    const ok = { spentNano: 0.3 * USD, requests: MIN_REQUESTS, elapsedMs: MIN_ELAPSED_MS, capNano: 1.5 * USD };
    expect(forecast(ok)).not.toBeNull();
    expect(forecast({ ...ok, requests: MIN_REQUESTS - 1 })).toBeNull();
    expect(forecast({ ...ok, elapsedMs: MIN_ELAPSED_MS - 1 })).toBeNull();
    expect(forecast({ ...ok, spentNano: 0 })).toBeNull();
  });

  it('has a rate but nothing left to count down without a dollar cap', () => {
    expect(forecast({ spentNano: 0.3 * USD, requests: 3, elapsedMs: 60_000, capNano: null })).toEqual({
      perMinuteNano: 0.3 * USD,
      perTurnNano: 0.1 * USD,
      msLeft: null,
      turnsLeft: null,
    });
  });

  it('counts nothing left once the cap is spent (a raise pending), never a negative time', () => {
    expect(forecast({ spentNano: 2 * USD, requests: 4, elapsedMs: 60_000, capNano: 1.5 * USD })).toMatchObject({ msLeft: 0, turnsLeft: 0 });
  });
});

describe('escalationProjection', () => {
  const base = {
    spentNano: 0.4 * USD,
    requests: 4,
    capNano: 1 * USD,
    proposedNano: 5 * USD,
    selectedOutPico: 15_000_000,
    requestedOutPico: 75_000_000,
    typicalTurns: 20,
  };

  it('projects turns left and a typical run’s total on both models', () => {
    // $0.10 a turn here, $0.50 on the 5× pricier model; 16 more turns for a typical run
    expect(escalationProjection(base)).toEqual({
      selectedTurnsLeft: 6,
      requestedTurnsLeft: 9,
      selectedTotalNano: 2 * USD,
      requestedTotalNano: 8.4 * USD,
      exceedsOnSelected: true,
    });
  });

  it('does not claim the run will exceed when the typical run fits, or when there is no history', () => {
    expect(escalationProjection({ ...base, typicalTurns: 8 })?.exceedsOnSelected).toBe(false);
    expect(escalationProjection({ ...base, typicalTurns: null })).toMatchObject({
      selectedTotalNano: null,
      requestedTotalNano: null,
      exceedsOnSelected: false,
    });
  });

  it('says nothing before there is an average turn', () => {
    expect(escalationProjection({ ...base, requests: 2 })).toBeNull();
    expect(escalationProjection({ ...base, spentNano: 0 })).toBeNull();
  });
});
