import { describe, expect, it } from 'vitest';
import { keepProviders, PRICED_PROVIDERS } from '../../../src/pricing/price-book.js';
import { FAMILY_PROVIDERS } from '../../../src/proxy/mounts.js';

describe('PRICED_PROVIDERS', () => {
  it("names every provider module's pricingId: genai-prices keeps only these providers' data", () => {
    const pricingIds = Object.values(FAMILY_PROVIDERS).flatMap((providers) => providers.map((p) => p.pricingId));
    expect(pricingIds.length).toBeGreaterThan(0);
    for (const id of pricingIds) expect(PRICED_PROVIDERS, id).toContain(id);
  });
});

describe('keepProviders', () => {
  const data = [
    { id: 'anthropic', models: [] },
    { id: 'groq', models: [] },
    { id: 'google', fallback_model_providers: ['anthropic', 'vertex'], models: [] },
    { id: 'vertex', fallback_model_providers: ['google', 'mistral'], models: [] },
    { id: 'mistral', models: [] },
    { id: 'openai', models: [] },
  ];
  const ids = (kept: unknown): string[] => (kept as { id: string }[]).map((p) => p.id);

  it('keeps the providers named, in their order, as the same objects', () => {
    const kept = keepProviders(['openai', 'anthropic'])(data);
    expect(ids(kept)).toEqual(['anthropic', 'openai']);
    expect((kept as unknown[])[0]).toBe(data[0]);
  });

  it('keeps the providers they fall back to, and theirs, once each', () => {
    expect(ids(keepProviders(['google'])(data))).toEqual(['anthropic', 'google', 'vertex', 'mistral']);
  });

  it('ignores a name no provider has', () => {
    expect(ids(keepProviders(['cohere', 'openai'])(data))).toEqual(['openai']);
  });

  it('keeps anything not shaped as a provider list whole', () => {
    for (const other of [{ id: 'x' }, [{ id: 1 }], [null], 'text', [{ id: 'a' }, 'b']]) expect(keepProviders(['a'])(other)).toBe(other);
  });
});
