import { describe, expect, it } from 'vitest';
import { EXIT, UsageError } from '../../../src/errors.js';
import { parseCount, parseTokenCount, parseUsd } from '../../../src/config/parse-values.js';

const usdError = (raw: string): string => `Expected \`--max-usd\` to be a positive number of dollars (e.g. --max-usd 1.50), got \`${raw}\`.`;
const tokenError = (raw: string): string =>
  `Expected \`--max-tokens\` to be a positive whole number of tokens (e.g. --max-tokens 200000 or 200k), got \`${raw}\`.`;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('parseUsd', () => {
  it('accepts plain and dollar-prefixed amounts', () => {
    expect(parseUsd('--max-usd', '1.50')).toBe(1.5);
    expect(parseUsd('--max-usd', '$1.50')).toBe(1.5);
    expect(parseUsd('--max-usd', '$2')).toBe(2);
    expect(parseUsd('--max-usd', '5')).toBe(5);
    expect(parseUsd('--max-usd', '.25')).toBe(0.25);
    expect(parseUsd('--max-usd', '3.')).toBe(3);
    expect(parseUsd('--max-usd', ' 0.75 ')).toBe(0.75);
    expect(parseUsd('--max-usd', '1000000')).toBe(1_000_000);
  });

  it.each(['abc', '-1', '0', '0.00', '', ' ', '$', '1,50', '1.5.0', 'NaN', '-1e3', '1 usd', '$-1', '$$1'])(
    'rejects %j as a usage error with an exact message',
    (raw) => {
      const err = thrown(() => parseUsd('--max-usd', raw));
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(EXIT.usage);
      expect((err as UsageError).message).toBe(usdError(raw));
    },
  );

  it('rejects amounts above a million dollars, naming the maximum', () => {
    expect(() => parseUsd('--max-usd', '1000000.01')).toThrow(new UsageError('Expected `--max-usd` to be at most $1,000,000, got `1000000.01`.'));
    expect(() => parseUsd('--max-usd', '1e7')).toThrow(new UsageError('Expected `--max-usd` to be at most $1,000,000, got `1e7`.'));
    expect(() => parseUsd('--max-usd', 'Infinity')).toThrow(new UsageError('Expected `--max-usd` to be at most $1,000,000, got `Infinity`.'));
  });

  it.each(['1e6', '1e3', '0x10', '+1', '1E2'])('rejects the number %j written other than as dollars, naming the range', (raw) => {
    expect(() => parseUsd('--max-usd', raw)).toThrow(
      new UsageError(`Expected \`--max-usd\` to be a dollar amount in plain digits from $0.000001 to $1,000,000 (e.g. --max-usd 1.50), got \`${raw}\`.`),
    );
  });

  it('names the flag it was given', () => {
    expect(() => parseUsd('--verify-usd', 'x')).toThrow('Expected `--verify-usd` to be a positive number of dollars (e.g. --verify-usd 1.50), got `x`.');
  });
});

describe('parseTokenCount', () => {
  it('accepts whole numbers and k/m suffixes', () => {
    expect(parseTokenCount('--max-tokens', '200000')).toBe(200_000);
    expect(parseTokenCount('--max-tokens', '200k')).toBe(200_000);
    expect(parseTokenCount('--max-tokens', '200K')).toBe(200_000);
    expect(parseTokenCount('--max-tokens', '1.5m')).toBe(1_500_000);
    expect(parseTokenCount('--max-tokens', '1.5M')).toBe(1_500_000);
    expect(parseTokenCount('--max-tokens', '2.5k')).toBe(2500);
    expect(parseTokenCount('--max-tokens', '1')).toBe(1);
    expect(parseTokenCount('--max-tokens', ' 7k ')).toBe(7000);
  });

  it.each(['1.5', 'abc', '-1', '0', '0k', '1e3', '', '1.0001k', '0.5', '10g', 'k', '1.5mm', '1 k', '-2k', '1,000'])(
    'rejects %j with an exact message',
    (raw) => {
      const err = thrown(() => parseTokenCount('--max-tokens', raw));
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(EXIT.usage);
      expect((err as UsageError).message).toBe(tokenError(raw));
    },
  );

  it('rejects counts beyond exact integer range', () => {
    expect(() => parseTokenCount('--max-tokens', '9007199254740993')).toThrow(tokenError('9007199254740993'));
  });

  // BUG (src/config/parse-values.ts:22): the suffix is applied by float multiplication, so some
  // whole token counts come out a hair off an integer (4.1 * 1e6 = 4099999.9999999995,
  // 2.01 * 1e6 = 2009999.9999999998, 1.001 * 1000 = 1000.9999999999999) and are rejected as
  // "not a whole number". Fix: round when the product is within float error of an integer
  // (e.g. `const n = Math.round(v); if (Math.abs(v - n) < 1e-6) v = n`), or scale the decimal
  // digits as a string instead of multiplying floats.
  it.each([
    ['4.1m', 4_100_000],
    ['2.01m', 2_010_000],
    ['1.001k', 1001],
    ['4.02k', 4020],
  ])('accepts %s as %i tokens', (raw, expected) => {
    expect(parseTokenCount('--max-tokens', raw)).toBe(expected);
  });
});

describe('parseCount', () => {
  it('accepts whole numbers, zero included', () => {
    expect(parseCount('--max-actions', '0')).toBe(0);
    expect(parseCount('--max-actions', '50')).toBe(50);
    expect(parseCount('--max-actions', ' 7 ')).toBe(7);
  });

  it.each(['abc', '-1', '1.5', '1e3', '', '10k', '9007199254740993'])('rejects %j with an exact message', (raw) => {
    const err = thrown(() => parseCount('--max-actions', raw));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(`Expected \`--max-actions\` to be a whole number (e.g. --max-actions 50), got \`${raw}\`.`);
  });
});
