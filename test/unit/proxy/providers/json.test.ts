import { describe, expect, it } from 'vitest';
import { asCount, asRecord, asString, tryParse } from '../../../../src/proxy/providers/json.js';

describe('JSON narrowing helpers', () => {
  it('asRecord accepts plain objects only', () => {
    const o = { a: 1 };
    expect(asRecord(o)).toBe(o);
    for (const v of [null, undefined, [1], 'x', 3, true]) expect(asRecord(v)).toBeUndefined();
  });

  it('asCount accepts finite non-negative numbers only', () => {
    expect(asCount(0)).toBe(0);
    expect(asCount(42)).toBe(42);
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5', null, undefined, {}]) expect(asCount(v)).toBeUndefined();
  });

  it('asString accepts strings only', () => {
    expect(asString('')).toBe('');
    expect(asString('x')).toBe('x');
    for (const v of [1, null, undefined, ['x']]) expect(asString(v)).toBeUndefined();
  });

  it('tryParse returns undefined instead of throwing', () => {
    expect(tryParse('{"a":[1]}')).toEqual({ a: [1] });
    expect(tryParse('null')).toBeNull();
    expect(tryParse('{')).toBeUndefined();
    expect(tryParse('')).toBeUndefined();
  });
});
