import type { InputToken } from './idle-filter.js';

/**
 * How typed input answers a question on the bar row. Pure. A prompt is answered only by a read
 * that holds exactly one key press (terminal replies, focus and mouse reports aside): a paste, a
 * burst of bytes or a key that is not offered never answers.
 */

/** The offered key this read answers with, or null. Letters match in either case. */
export function answerOf(userTokens: readonly InputToken[], keys: readonly string[]): string | null {
  if (userTokens.length !== 1) return null;
  const token = userTokens[0]!;
  if (token.kind !== 'key') return null;
  for (const key of keys) if (key === token.text || key.toLowerCase() === token.text.toLowerCase()) return key;
  return null;
}

/** A line being typed at a prompt (e.g. an amount). */
export interface LineState {
  text: string;
  /** 'open' while typing; 'done' after Enter; 'cancelled' after Escape or Ctrl-C. */
  status: 'open' | 'done' | 'cancelled';
}

const ENTER = new Set(['\r', '\n']);
const BACKSPACE = new Set(['\x7f', '\b']);
const CANCEL = new Set(['\x1b', '\x03']);

/**
 * Applies one read to the line: printable characters that `accept` allows are added, Backspace
 * removes one, Enter finishes, Escape or Ctrl-C cancels. Pastes and other keys are ignored.
 */
export function editLine(state: LineState, userTokens: readonly InputToken[], accept: RegExp, maxLength = 32): LineState {
  let { text } = state;
  for (const token of userTokens) {
    if (token.kind !== 'key') continue;
    if (ENTER.has(token.text)) return { text, status: 'done' };
    if (CANCEL.has(token.text)) return { text, status: 'cancelled' };
    if (BACKSPACE.has(token.text)) text = [...text].slice(0, -1).join('');
    else if (text.length < maxLength && accept.test(token.text)) text += token.text;
  }
  return { text, status: 'open' };
}
