import { describe, expect, it } from 'vitest';
import { didYouMean, levenshtein } from '../../../src/config/did-you-mean.js';
import { SETTING_KEYS } from '../../../src/config/schema.js';

describe('didYouMean', () => {
  it('computes edit distance', () => {
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it.each([
    ['maxUSD', 'maxUsd'],
    ['max_usd', 'maxUsd'],
    ['max-tokens', 'maxTokens'],
    ['maxUds', 'maxUsd'],
    ['onlimit', 'onLimit'],
    ['escalate', 'escalation'],
    ['verifyShares', 'verifyShare'],
    ['restrictedTool', 'restrictedTools'],
    ['retention', 'retentionDays'],
  ])('%s → %s', (typo, key) => {
    expect(didYouMean(typo, SETTING_KEYS)).toBe(key);
  });

  it('suggests nothing for a word that is not close to any key', () => {
    expect(didYouMean('colour', SETTING_KEYS)).toBeNull();
    expect(didYouMean('x', SETTING_KEYS)).toBeNull();
  });
});
