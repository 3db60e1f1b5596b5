import { describe, expect, it } from 'vitest';
import { SCHEMA, SETTING_KEYS } from '../../../src/config/schema.js';
import { bool, describeFound, duration, Invalid, share, usd } from '../../../src/config/values.js';

describe('value kinds', () => {
  it('reads durations in ms, s, m and h, and off', () => {
    expect(duration.parse('90s')).toBe(90_000);
    expect(duration.parse('10m')).toBe(600_000);
    expect(duration.parse('1.5h')).toBe(5_400_000);
    expect(duration.parse('1500ms')).toBe(1_500);
    expect(duration.parse('off')).toBeNull();
    expect(duration.parse(false)).toBeNull();
    for (const bad of ['0s', '500ms', '8d', '10', 10, '', 'soon', true]) expect(() => duration.parse(bad), String(bad)).toThrow(Invalid);
    expect([90_000, 600_000, 3_600_000, 1_500, null].map((ms) => duration.format(ms))).toEqual(['90s', '10m', '1h', '1500ms', 'off']);
  });

  it('reads shares as fractions or percentages', () => {
    expect(share.parse(0.4)).toBe(0.4);
    expect(share.parse('40%')).toBe(0.4);
    expect(share.parse('1')).toBe(1);
    for (const bad of [0, '0%', 1.01, '101%', '-0.1', 'half']) expect(() => share.parse(bad), String(bad)).toThrow(Invalid);
    expect(share.format(0.25)).toBe('25%');
  });

  it('reads booleans from YAML and from text', () => {
    expect(['true', 'Yes', 'on', '1', true].map((v) => bool.parse(v))).toEqual([true, true, true, true, true]);
    expect(['false', 'NO', 'off', '0', false].map((v) => bool.parse(v))).toEqual([false, false, false, false, false]);
  });

  it('formats dollars for people', () => {
    expect(usd.format(1.5)).toBe('$1.50');
    expect(usd.format(0.125)).toBe('$0.1250');
  });

  it('round-trips every example through its file form', () => {
    for (const key of SETTING_KEYS) {
      const { kind, example } = SCHEMA[key];
      expect(kind.parse(kind.toRaw(example as never)), key).toEqual(example);
    }
  });

  it('describes what was found', () => {
    expect([undefined, null, 'abc', 1.5, true, [1], { a: 1 }].map(describeFound)).toEqual([
      'nothing',
      'an empty value',
      '"abc"',
      '1.5',
      'true',
      'a list',
      'a mapping',
    ]);
  });
});
