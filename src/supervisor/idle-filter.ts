/**
 * Tells the user's keystrokes apart from what the terminal itself sends on stdin: mouse reports,
 * focus in/out, and replies to the child's queries (cursor position, device attributes, modes,
 * colours). Only keystrokes (and pastes) prove someone is at the keyboard; only a single key
 * answers a prompt. Pure: no clock, no I/O.
 */

export type InputKind =
  /** A key press (a printable character, a control key, or an escape sequence a key sends). */
  | 'key'
  /** Bracketed paste: the markers and everything between them. */
  | 'paste'
  /** A mouse report (SGR, urxvt or X10 encoding). */
  | 'mouse'
  /** Focus in / out (ESC[I, ESC[O). */
  | 'focus'
  /** The terminal answering a query: cursor position, device attributes, mode, OSC / DCS replies. */
  | 'reply';

export interface InputToken {
  kind: InputKind;
  text: string;
}

/** Whether a token shows a person at the keyboard. */
export function isUserToken(token: InputToken): boolean {
  return token.kind === 'key' || token.kind === 'paste';
}

const ESC = '\x1b';
const PASTE_START = `${ESC}[200~`;
const PASTE_END = `${ESC}[201~`;
/** An unfinished sequence longer than this is not held any longer (it is reported as a reply). */
const MAX_CARRY = 4096;

/** Classifies a complete CSI sequence sent by the terminal. */
function classifyCsi(prefix: string, params: string, intermediates: string, final: string): InputKind {
  if (prefix === '<' && (final === 'M' || final === 'm')) return 'mouse'; // SGR mouse
  if (prefix === '' && final === 'M' && /^\d+;\d+;\d+$/.test(params)) return 'mouse'; // urxvt mouse
  if (prefix === '' && params === '' && intermediates === '' && (final === 'I' || final === 'O')) return 'focus';
  if (final === 'R' && (prefix === '?' || (prefix === '' && /^\d+;\d+$/.test(params)))) return 'reply'; // cursor position
  if (final === 'c' && (prefix === '?' || prefix === '>' || prefix === '=')) return 'reply'; // device attributes
  if (final === 'y' && intermediates === '$') return 'reply'; // DECRPM mode report
  if (final === 'u' && prefix === '?') return 'reply'; // kitty keyboard flags
  if (final === 'n' && prefix === '' && /^\d*$/.test(params)) return 'reply'; // device status
  if (final === 't' && prefix === '') return 'reply'; // window size / position reports
  return 'key';
}

interface Scanned {
  kind: InputKind;
  end: number;
}

/**
 * Reads one sequence starting with ESC at `i`. Returns null when the chunk ends before it does.
 * A lone ESC at the very end is the Escape key (terminals send it alone).
 */
function scanEscape(s: string, i: number): Scanned | null {
  const next = s[i + 1];
  if (next === undefined) return { kind: 'key', end: i + 1 };
  if (next === '[') {
    let j = i + 2;
    let prefix = '';
    if (j < s.length && '<=>?'.includes(s[j]!)) prefix = s[j++]!;
    const paramsStart = j;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x3f) j++;
    const params = s.slice(paramsStart, j);
    const interStart = j;
    while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
    const intermediates = s.slice(interStart, j);
    if (j >= s.length) return null;
    const final = s[j]!;
    // X10 mouse: ESC [ M and three raw characters (button, column, row).
    if (final === 'M' && prefix === '' && params === '' && intermediates === '') return j + 3 < s.length ? { kind: 'mouse', end: j + 4 } : null;
    return { kind: classifyCsi(prefix, params, intermediates, final), end: j + 1 };
  }
  if (next === ']' || next === 'P' || next === '_' || next === '^') {
    // OSC / DCS / APC / PM: only the terminal sends these on input, ended by BEL or ST.
    for (let j = i + 2; j < s.length; j++) {
      if (s[j] === '\x07') return { kind: 'reply', end: j + 1 };
      if (s[j] === ESC && s[j + 1] === '\\') return { kind: 'reply', end: j + 2 };
      if (s[j] === ESC && j + 1 >= s.length) return null;
    }
    return null;
  }
  if (next === 'O') return i + 2 < s.length ? { kind: 'key', end: i + 3 } : null; // SS3: F1-F4, keypad
  return { kind: 'key', end: i + 2 }; // Alt + key, or ESC ESC
}

/** Splits stdin chunks into tokens; keeps a sequence split across chunks for the next one. */
export class InputClassifier {
  private carry = '';
  private inPaste = false;

  classify(chunk: string): InputToken[] {
    const s = this.carry + chunk;
    this.carry = '';
    const tokens: InputToken[] = [];
    let i = 0;
    while (i < s.length) {
      if (this.inPaste) {
        const end = s.indexOf(PASTE_END, i);
        if (end < 0) {
          // Keep a possible partial end marker for the next chunk.
          const keep = partialSuffix(s, PASTE_END);
          if (s.length - keep > i) tokens.push({ kind: 'paste', text: s.slice(i, s.length - keep) });
          this.carry = s.slice(s.length - keep);
          return tokens;
        }
        tokens.push({ kind: 'paste', text: s.slice(i, end + PASTE_END.length) });
        this.inPaste = false;
        i = end + PASTE_END.length;
        continue;
      }
      if (s[i] !== ESC) {
        // Each character is its own key (a surrogate pair is one character).
        const cp = s.codePointAt(i)!;
        const len = cp > 0xffff ? 2 : 1;
        tokens.push({ kind: 'key', text: s.slice(i, i + len) });
        i += len;
        continue;
      }
      if (s.startsWith(PASTE_START, i)) {
        this.inPaste = true;
        continue;
      }
      const scanned = scanEscape(s, i);
      if (!scanned) {
        const rest = s.slice(i);
        if (rest.length > MAX_CARRY) tokens.push({ kind: 'reply', text: rest });
        else this.carry = rest;
        return tokens;
      }
      tokens.push({ kind: scanned.kind, text: s.slice(i, scanned.end) });
      i = scanned.end;
    }
    return tokens;
  }
}

/** Length of the longest suffix of `s` that is a proper prefix of `marker`. */
function partialSuffix(s: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, s.length); n > 0; n--) if (s.endsWith(marker.slice(0, n))) return n;
  return 0;
}
