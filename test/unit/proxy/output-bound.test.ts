import { describe, expect, it } from 'vitest';
import { OutputBound, type OutputBoundHooks } from '../../../src/proxy/output-bound.js';
import { emptyReading, type MeterReading } from '../../../src/proxy/providers/types.js';

/** Hooks that note each time the bound asks about the real input; it lowers the allowance to 10. */
function hooks(asked: MeterReading[]): OutputBoundHooks {
  return {
    inputKnown: (reading) => (asked.push(reading), { outputTokens: 10, limit: 'usd' }),
    allowance: () => 1000,
    sentCeiling: 1000,
    outputTokens: (chars) => Math.ceil(chars / 4),
    now: () => 0,
    extend: () => ({ allowedOut: 10, short: 'usd' }),
    cut: () => 'capped: cut',
    yieldRoom: () => 'capped: room',
  };
}

const reading = (fields: Partial<MeterReading>): MeterReading => ({ ...emptyReading(), ...fields, usage: { ...emptyReading().usage, ...fields.usage } });

describe('OutputBound: the real input', () => {
  it('is asked about once, when it arrives before the response is complete, and can end the response', () => {
    const asked: MeterReading[] = [];
    const bound = new OutputBound(hooks(asked));
    expect(bound.check(reading({ usage: { ...emptyReading().usage, input: 500 } }))).toBeNull();
    // 80 characters: 20 tokens, past the 10 the real input left.
    expect(bound.check(reading({ usage: { ...emptyReading().usage, input: 500 }, outputChars: 80 }))).toBe('capped: cut');
    expect(asked).toHaveLength(1);
  });

  it('is not asked about when it arrives with the final usage: the response settles with it next', () => {
    const asked: MeterReading[] = [];
    const bound = new OutputBound(hooks(asked));
    const final = reading({ complete: true, outputChars: 80, usage: { ...emptyReading().usage, input: 500, output: 20 } });
    expect(bound.check(final)).toBeNull();
    expect(asked).toHaveLength(0);
  });
});
