import { BudgetKeeper } from '../../src/budget/keeper.js';
import { DEFAULT_POLICY } from '../../src/budget/engine.js';
import { createPriceBook } from '../../src/pricing/price-book.js';
import { ConversationMemory } from '../../src/proxy/conversations.js';
import { InputEstimator } from '../../src/proxy/input-estimator.js';
import { OutputEstimator } from '../../src/proxy/output-estimator.js';
import type { ProxyDeps } from '../../src/proxy/server.js';

/**
 * Proxy dependencies with the real budget (a $5 cap), prices and estimators, a fixed clock and no
 * mounts; `given` replaces any of them.
 */
export function proxyDeps(given: Partial<ProxyDeps> = {}): ProxyDeps {
  return {
    secret: 's',
    mounts: new Map(),
    keeper: new BudgetKeeper({ usd: 5_000_000_000, tokens: null, actions: null }, DEFAULT_POLICY),
    prices: createPriceBook(),
    estimator: new InputEstimator(),
    outputs: new OutputEstimator(),
    conversations: new ConversationMemory(),
    now: () => new Date('2026-03-04T10:00:00Z'),
    notify: () => undefined,
    rules: { restrictedTools: new Set(['WebSearch']), verifyPatterns: [], reserve: 'likely', allowRoutes: [], batches: 'reserve' },
    ...given,
  };
}
