import { describe, expect, it } from 'vitest';
import type { InputToken } from '../../../src/supervisor/idle-filter.js';
import { answerOf, editLine } from '../../../src/supervisor/pty-prompt.js';

const key = (text: string): InputToken => ({ kind: 'key', text });

describe('answerOf', () => {
  it('answers with an offered key typed alone, in either case', () => {
    expect(answerOf([key('a')], ['a', 'e', 's'])).toBe('a');
    expect(answerOf([key('S')], ['a', 'e', 's'])).toBe('s');
  });

  it('ignores bursts, pastes and keys not offered', () => {
    expect(answerOf([key('x'), key('s')], ['s'])).toBeNull();
    expect(answerOf([{ kind: 'paste', text: 's' }], ['s'])).toBeNull();
    expect(answerOf([key('q')], ['s'])).toBeNull();
    expect(answerOf([], ['s'])).toBeNull();
  });
});

describe('editLine', () => {
  it('types accepted characters, deletes with Backspace, ends with Enter or cancels with Escape', () => {
    const open = { text: '', status: 'open' as const };
    expect(editLine(open, [key('1'), key('a'), key('.'), key('5')], /^[0-9.]$/)).toEqual({ text: '1.5', status: 'open' });
    expect(editLine({ text: '1.5', status: 'open' }, [key('\x7f'), key('\r')], /^[0-9.]$/)).toEqual({ text: '1.', status: 'done' });
    expect(editLine({ text: '1', status: 'open' }, [key('\x1b')], /^[0-9.]$/)).toEqual({ text: '1', status: 'cancelled' });
    expect(editLine(open, [{ kind: 'paste', text: '99' }], /^[0-9.]$/)).toEqual(open);
  });
});
