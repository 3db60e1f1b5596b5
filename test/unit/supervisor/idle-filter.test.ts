import { describe, expect, it } from 'vitest';
import { InputClassifier, isUserToken, type InputToken } from '../../../src/supervisor/idle-filter.js';

const E = '\x1b';
const classify = (...chunks: string[]): InputToken[] => {
  const c = new InputClassifier();
  return chunks.flatMap((chunk) => c.classify(chunk));
};
const kinds = (...chunks: string[]): string[] => classify(...chunks).map((t) => t.kind);

describe('InputClassifier', () => {
  it('counts typed characters, control keys and key sequences as keys', () => {
    expect(classify('ab\r')).toEqual([
      { kind: 'key', text: 'a' },
      { kind: 'key', text: 'b' },
      { kind: 'key', text: '\r' },
    ]);
    expect(kinds('\x03', `${E}[A`, `${E}OP`, `${E}[3~`, `${E}[1;5C`, `${E}x`, E, `${E}[97;5u`, '😀')).toEqual(Array(9).fill('key'));
  });

  it('does not count mouse reports (SGR, urxvt, X10)', () => {
    expect(kinds(`${E}[<0;10;5M`, `${E}[<0;10;5m`, `${E}[<35;80;24M`, `${E}[32;10;5M`, `${E}[M !!`)).toEqual(Array(5).fill('mouse'));
  });

  it('does not count focus in and out', () => {
    expect(kinds(`${E}[I`, `${E}[O`)).toEqual(['focus', 'focus']);
  });

  it('does not count terminal replies: cursor position, device attributes, modes, OSC and DCS', () => {
    const replies = [
      `${E}[24;80R`,
      `${E}[?24;80R`,
      `${E}[?62;22c`,
      `${E}[>41;390;0c`,
      `${E}[?2026;2$y`,
      `${E}[?0u`,
      `${E}[0n`,
      `${E}[8;30;100t`,
      `${E}]11;rgb:0000/0000/0000${E}\\`,
      `${E}]10;rgb:ffff/ffff/ffff\x07`,
      `${E}P>|tmux 3.3a${E}\\`,
      `${E}P1+r544e=787465726d${E}\\`,
    ];
    expect(kinds(...replies)).toEqual(Array(replies.length).fill('reply'));
  });

  it('splits a chunk that mixes replies and keys', () => {
    expect(classify(`${E}[I${E}[24;1Rs`)).toEqual([
      { kind: 'focus', text: `${E}[I` },
      { kind: 'reply', text: `${E}[24;1R` },
      { kind: 'key', text: 's' },
    ]);
  });

  it('keeps a sequence split across chunks for the next chunk', () => {
    expect(classify(`${E}[<35;1`, '0;5M')).toEqual([{ kind: 'mouse', text: `${E}[<35;10;5M` }]);
    expect(classify(`${E}]11;rgb:00`, `00/0000/0000${E}`, '\\')).toEqual([{ kind: 'reply', text: `${E}]11;rgb:0000/0000/0000${E}\\` }]);
    expect(classify(`${E}[M`, ' !!')).toEqual([{ kind: 'mouse', text: `${E}[M !!` }]);
  });

  it('counts a bracketed paste, markers included, as the user, even split across chunks', () => {
    expect(classify(`${E}[200~c`, `s${E}[20`, '1~x')).toEqual([
      { kind: 'paste', text: `${E}[200~c` },
      { kind: 'paste', text: 's' },
      { kind: 'paste', text: `${E}[201~` },
      { kind: 'key', text: 'x' },
    ]);
    expect(classify(`${E}[200~`).every(isUserToken)).toBe(true);
  });

  it('tells user tokens apart', () => {
    expect(classify(`a${E}[I${E}[<0;1;1M${E}[1;1R`).map(isUserToken)).toEqual([true, false, false, false]);
  });
});
