import { describe, expect, it } from 'vitest';
import { initialState } from '../../../src/budget/engine.js';
import { limitMessage } from '../../../src/budget/messages.js';
import { usdToNano } from '../../../src/budget/money.js';
import type { BudgetState } from '../../../src/budget/types.js';
import { parseTokenCount, parseUsd } from '../../../src/config/parse-values.js';

function stateWith(caps: BudgetState['caps'], spentNano: number, usage: Partial<BudgetState['usage']> = {}): BudgetState {
  const base = initialState(caps);
  return { ...base, spentNano, usage: { ...base.usage, ...usage } };
}

describe('limitMessage', () => {
  it('names the dollar cap, the spend, what the next request needs and the flag to raise it', () => {
    const state = stateWith({ usd: usdToNano(1.5), tokens: null, actions: null }, usdToNano(1.4321));
    expect(limitMessage(state, 'usd', usdToNano(0.2), 0)).toBe(
      "capped: this run's spending cap of $1.50 is reached ($1.4321 spent; the next request needs at least $0.20). " +
        'The agent is being stopped. To allow more, start the run again with a higher --max-usd, e.g. --max-usd 3.00.',
    );
  });

  it('says the run is already stopped, not "needs $0.00", for a request that came after the stop', () => {
    const state = stateWith({ usd: usdToNano(2), tokens: null, actions: null }, usdToNano(1.7152));
    expect(limitMessage(state, 'usd', 0, 0)).toBe(
      "capped: this run's spending cap of $2.00 is reached ($1.7152 spent; the run is already stopped at it). " +
        'The agent is being stopped. To allow more, start the run again with a higher --max-usd, e.g. --max-usd 4.00.',
    );
  });

  it('names the token cap, tokens of every kind used, and --max-tokens', () => {
    const state = stateWith({ usd: usdToNano(5), tokens: 200_000, actions: null }, 0, { input: 100_000, output: 50_000, cacheRead: 40_000, cacheWrite: 5_000 });
    expect(limitMessage(state, 'tokens', 0, 12_000)).toBe(
      "capped: this run's token cap of 200000 is reached (195000 used; the next request needs about 12000). " +
        'The agent is being stopped. To allow more, start the run again with a higher --max-tokens, e.g. --max-tokens 400000.',
    );
  });

  it('suggests a token cap that capped itself accepts', () => {
    const state = stateWith({ usd: null, tokens: 1000, actions: null }, 0, { input: 1000 });
    const suggested = /--max-tokens (\S+)\.$/.exec(limitMessage(state, 'tokens', 0, 300))?.[1];
    expect(suggested).toBe('2000');
    expect(parseTokenCount('--max-tokens', suggested!)).toBeGreaterThan(1000);
  });

  it('suggests a larger dollar cap that capped itself accepts', () => {
    const state = stateWith({ usd: usdToNano(0.25), tokens: null, actions: null }, usdToNano(0.25));
    const suggested = /--max-usd (\S+)\.$/.exec(limitMessage(state, 'usd', 1, 0))?.[1];
    expect(suggested).toBe('0.50');
    expect(parseUsd('--max-usd', suggested!)).toBeGreaterThan(0.25);
  });

  it('suggests a usable --max-usd even for a sub-cent cap', () => {
    const state = stateWith({ usd: usdToNano(0.001), tokens: null, actions: null }, usdToNano(0.001));
    const suggested = /--max-usd (\S+)\.$/.exec(limitMessage(state, 'usd', 1, 0))?.[1];
    expect(suggested).toBe('0.01');
    expect(parseUsd('--max-usd', suggested!)).toBeGreaterThan(0.001);
  });

  it('suggests enough for a request larger than twice the cap', () => {
    const state = stateWith({ usd: usdToNano(1), tokens: null, actions: null }, usdToNano(0.9));
    const message = limitMessage(state, 'usd', usdToNano(1.5), 0);
    // (0.90 spent + 1.50 needed) x 1.5 = 3.60 > 2 x cap
    expect(message).toContain('needs at least $1.50)');
    expect(message.endsWith('e.g. --max-usd 3.60.')).toBe(true);
  });

  it('suggests enough tokens for a request larger than twice the token cap', () => {
    const state = stateWith({ usd: null, tokens: 10_000, actions: null }, 0, { input: 9_000 });
    // (9000 used + 30000 needed) x 1.5 = 58500 -> rounded up to 59000
    expect(limitMessage(state, 'tokens', 0, 30_000).endsWith('e.g. --max-tokens 59000.')).toBe(true);
  });

  it('names the tool action cap and --max-actions', () => {
    const state = stateWith({ usd: null, tokens: null, actions: 25 }, 0);
    expect(limitMessage(state, 'actions', 0, 0)).toBe(
      "capped: this run's cap of 25 tool actions is reached (the model asked for one more; it was not passed on). " +
        'The agent is being stopped. To allow more, start the run again with a higher --max-actions, e.g. --max-actions 50.',
    );
    // a small cap still suggests a real increase
    expect(limitMessage(stateWith({ usd: null, tokens: null, actions: 0 }, 0), 'actions', 0, 0)).toContain('e.g. --max-actions 10.');
  });
});
