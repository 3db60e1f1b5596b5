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

  it('tryParse answers as JSON.parse does for every kind of JSON text, and for text that is none', () => {
    const jsonParse = (text: string): unknown => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    };
    const texts = ['{"a":1}', '[1,2]', '"s"', '-1.5', '0', '7e3', 'true', 'false', 'null', ' \t\r\n {"a":1} ', '\n[]'];
    // Not JSON: plain tool output, JavaScript's other white space, a byte-order mark, bad literals.
    texts.push('README.md\nsrc\n', 'total 8', 'npm ERR! missing script', 'find: x', '\u00a0{}', '\ufeff{}', 'True', 'nul', '{', '   ');
    for (const text of texts) expect(tryParse(text), JSON.stringify(text)).toEqual(jsonParse(text));
    expect(tryParse(' \n {"a":1}')).toEqual({ a: 1 });
  });
});
