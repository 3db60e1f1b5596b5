import { describe, expect, it } from 'vitest';
import { BREACH_CAUSES, breachCause, causeOfRow, verifyShareOf, type BreachFacts } from '../../../src/ledger/breach-cause.js';

/** A run that breached with nothing special about it: a $1.00 cap, $1.20 spent, little verification. */
const BASE: BreachFacts = {
  exceeded: true,
  hardStopReason: null,
  escalationApproved: false,
  budgetUsd: 1,
  verifyUsd: null,
  spentUsd: 1.2,
  verificationUsd: 0.1,
  typicalUsd: null,
};

const cause = (over: Partial<BreachFacts>) => breachCause({ ...BASE, ...over });

describe('breachCause', () => {
  it('gives no cause to a run within its envelope, whatever else is true', () => {
    expect(cause({ exceeded: false, hardStopReason: 'loop', escalationApproved: true, typicalUsd: 5, verificationUsd: 1.2 })).toBeNull();
  });

  it('names the guard that stopped the run, before anything else', () => {
    const everything = { escalationApproved: true, typicalUsd: 5, verificationUsd: 1.2 };
    expect(cause({ ...everything, hardStopReason: 'loop' })).toBe('retry-loop');
    expect(cause({ ...everything, hardStopReason: 'scope' })).toBe('scope');
    expect(cause({ ...everything, hardStopReason: 'idle' })).toBe('idle');
    expect(cause({ ...everything, hardStopReason: 'actions' })).toBe('tool-actions');
    expect(cause({ ...everything, hardStopReason: 'verify' })).toBe('verification-heavy');
  });

  it('puts an approved escalation before the history and verification rules', () => {
    expect(cause({ escalationApproved: true, typicalUsd: 5, verificationUsd: 1.2, hardStopReason: 'usd' })).toBe('escalation');
  });

  it('lays a breach at the cap when it was below the repo’s typical run, even with heavy verification', () => {
    expect(cause({ typicalUsd: 1.5, verificationUsd: 1.2 })).toBe('cap-below-typical');
    // at the median is not below it: verification then explains the breach
    expect(cause({ typicalUsd: 1, verificationUsd: 1.2 })).toBe('verification-heavy');
  });

  it('calls verification heavy past its share of the spend: the ceiling’s share, else 40%', () => {
    // 40% of $1.20 is $0.48
    expect(cause({ verificationUsd: 0.48 })).toBe('cap-below-typical');
    expect(cause({ verificationUsd: 0.49 })).toBe('verification-heavy');
    // a $0.25 ceiling on a $1.00 budget is a 25% share: $0.31 of $1.20 is past it
    expect(cause({ verifyUsd: 0.25, verificationUsd: 0.31 })).toBe('verification-heavy');
    expect(cause({ verifyUsd: 0.25, verificationUsd: 0.3 })).toBe('cap-below-typical');
    expect(verifyShareOf(null, 0.25)).toBe(0.4);
    // unknown verification spend (a run without its record) is never called heavy
    expect(cause({ verificationUsd: null })).toBe('cap-below-typical');
  });

  it('falls back to cap-below-typical for a dollar, token or window stop that nothing else explains', () => {
    for (const reason of ['usd', 'tokens', 'window', null]) expect(cause({ hardStopReason: reason })).toBe('cap-below-typical');
  });

  it('only ever returns one of the documented causes', () => {
    const reasons = [null, 'usd', 'tokens', 'actions', 'verify', 'idle', 'window', 'loop', 'scope'];
    for (const hardStopReason of reasons) {
      for (const escalationApproved of [false, true]) {
        for (const typicalUsd of [null, 0.5, 2]) {
          expect(BREACH_CAUSES).toContain(cause({ hardStopReason, escalationApproved, typicalUsd }));
        }
      }
    }
  });
});

describe('causeOfRow', () => {
  const row = { breachCause: null, hardStopReason: null, budgetUsd: 0.5, verifyUsd: null, spentNano: 750_000_000 };
  it('takes the stored cause, and works one out from the row when none (or an unknown one) is stored', () => {
    expect(causeOfRow({ ...row, breachCause: 'scope' }, true)).toBe('scope');
    expect(causeOfRow({ ...row, breachCause: 'from-a-newer-capped' }, false)).toBe('cap-below-typical');
    expect(causeOfRow({ ...row, hardStopReason: 'loop' }, true)).toBe('retry-loop');
    expect(causeOfRow(row, true)).toBe('escalation');
    expect(causeOfRow(row, false)).toBe('cap-below-typical');
  });
});
