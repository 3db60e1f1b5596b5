/**
 * A streaming scanner for what a child writes to its terminal: it finds the escape sequences the
 * status-line painter must react to, even when a sequence is split across chunks. It does not
 * interpret text; it only reports where sequences start and end. (ECMA-48 / VT500 parser states,
 * reduced to what a pass-through needs.)
 */

/** A complete escape sequence. */
export type TermSequence =
  /** CSI: ESC [ <prefix><params><intermediates><final>, e.g. ESC[?1049h → prefix "?", params "1049", final "h". */
  | { type: 'csi'; prefix: string; params: string; intermediates: string; final: string }
  /** ESC <intermediates><final>, e.g. ESC 7, ESC c, ESC ( B. */
  | { type: 'esc'; intermediates: string; final: string }
  /** A string sequence (OSC, DCS, APC, PM, SOS) ended by BEL or ST; its body is not kept. */
  | { type: 'string'; kind: 'osc' | 'dcs' | 'apc' | 'pm' | 'sos' }
  /** Shift out / shift in (charset switches that matter to anything drawn in between). */
  | { type: 'control'; code: 0x0e | 0x0f };

export interface ScanVisitor {
  /**
   * Called for each complete sequence. `start` is its first index in this chunk, or -1 when it
   * began in an earlier chunk; `end` is the index just after its last character.
   */
  sequence(seq: TermSequence, start: number, end: number): void;
}

type State = 'ground' | 'esc' | 'csi' | 'string' | 'stringEsc';

const ESC = 0x1b;
const STRING_KINDS: Record<string, 'osc' | 'dcs' | 'apc' | 'pm' | 'sos'> = { ']': 'osc', P: 'dcs', _: 'apc', '^': 'pm', X: 'sos' };
// eslint-disable-next-line no-control-regex
const INTERESTING = /[\x0e\x0f\x1b]/g;

export class TerminalScanner {
  private state: State = 'ground';
  /** Index in the current chunk where the unfinished sequence began; -1 if in an earlier chunk. */
  private seqStart = -1;
  private prefix = '';
  private params = '';
  private intermediates = '';
  private stringKind: 'osc' | 'dcs' | 'apc' | 'pm' | 'sos' = 'osc';

  /** True between sequences (nothing half-written that an insertion could break). */
  get inGround(): boolean {
    return this.state === 'ground';
  }

  /** Where the unfinished sequence began in the last chunk scanned (-1: earlier, or none). */
  get pendingStart(): number {
    return this.state === 'ground' ? -1 : this.seqStart;
  }

  /** Forgets an unfinished sequence (after the painter cancelled it on the terminal with CAN). */
  reset(): void {
    this.state = 'ground';
    this.seqStart = -1;
  }

  /** Scans one chunk, reporting each sequence that completes in it. */
  scan(chunk: string, visitor: ScanVisitor): void {
    if (this.state !== 'ground') this.seqStart = -1;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.state === 'ground') {
        INTERESTING.lastIndex = i;
        const m = INTERESTING.exec(chunk);
        if (!m) return;
        i = m.index;
        const code = chunk.charCodeAt(i);
        if (code === ESC) this.begin(i);
        else visitor.sequence({ type: 'control', code: code as 0x0e | 0x0f }, i, i + 1);
        i++;
        continue;
      }
      this.step(chunk.charCodeAt(i), chunk[i]!, i, visitor);
      i++;
    }
  }

  private begin(i: number): void {
    this.state = 'esc';
    this.seqStart = i;
    this.prefix = '';
    this.params = '';
    this.intermediates = '';
  }

  private step(code: number, ch: string, i: number, visitor: ScanVisitor): void {
    const start = this.seqStart;
    const state = this.state;
    if (state === 'string' || state === 'stringEsc') {
      this.stepString(code, ch, i, visitor);
      return;
    }
    if (code === ESC) {
      this.begin(i); // an ESC abandons the sequence in progress
      return;
    }
    if (code === 0x18 || code === 0x1a) {
      this.state = 'ground'; // CAN / SUB cancel it
      return;
    }
    if (code < 0x20) return; // other C0 controls inside a sequence are executed, not part of it
    if (state === 'esc') {
      if (this.intermediates === '' && ch === '[') this.state = 'csi';
      else if (this.intermediates === '' && STRING_KINDS[ch]) {
        this.stringKind = STRING_KINDS[ch];
        this.state = 'string';
      } else if (code <= 0x2f) this.intermediates += ch;
      else {
        this.state = 'ground';
        visitor.sequence({ type: 'esc', intermediates: this.intermediates, final: ch }, start, i + 1);
      }
      return;
    }
    // CSI
    if (code >= 0x3c && code <= 0x3f && this.prefix === '' && this.params === '' && this.intermediates === '') this.prefix = ch;
    else if (code >= 0x30 && code <= 0x3f) this.params += ch;
    else if (code <= 0x2f) this.intermediates += ch;
    else {
      this.state = 'ground';
      visitor.sequence({ type: 'csi', prefix: this.prefix, params: this.params, intermediates: this.intermediates, final: ch }, start, i + 1);
    }
  }

  private stepString(code: number, ch: string, i: number, visitor: ScanVisitor): void {
    const start = this.seqStart;
    if (this.state === 'string') {
      if (code === 0x07) {
        this.state = 'ground';
        visitor.sequence({ type: 'string', kind: this.stringKind }, start, i + 1);
      } else if (code === ESC) this.state = 'stringEsc';
      else if (code === 0x18 || code === 0x1a) this.state = 'ground';
      return;
    }
    this.state = 'ground';
    if (ch === '\\') {
      visitor.sequence({ type: 'string', kind: this.stringKind }, start, i + 1);
      return;
    }
    // An ESC that is not the start of ST ends the string and begins a new sequence.
    const escAt = i > 0 ? i - 1 : -1;
    visitor.sequence({ type: 'string', kind: this.stringKind }, start, Math.max(0, escAt));
    this.begin(escAt);
    this.step(code, ch, i, visitor);
  }
}
