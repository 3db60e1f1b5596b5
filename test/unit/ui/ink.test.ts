import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { Text, loadInk, renderToString } from '../../../src/ui/ink.js';

// This file does not load Ink before its first test: that is what the first test checks.
describe('the UI’s Ink', () => {
  it('says what was forgotten when something renders before loadInk(), and renders after it', async () => {
    expect(Text).toBeUndefined();
    expect(() => renderToString(createElement('div'))).toThrow(/before Ink was loaded \(loadInk\(\)\)/);
    await loadInk();
    expect(renderToString(createElement(Text, null, 'hello'))).toBe('hello');
  });
});
