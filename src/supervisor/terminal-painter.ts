import { TerminalScanner, type TermSequence } from './terminal-scanner.js';

/**
 * Keeps a status line on the terminal's last row while a child (one row shorter, in a PTY) draws
 * everything above it. The method measured in reference/terminal.md:
 * - a scroll region over rows 1..rows-1, so the child's newlines never scroll the bar row;
 * - the bar painted (save cursor, move, clear, draw, restore) in the SAME write as each chunk of
 *   child output, wrapped in synchronized output (ESC[?2026h … ESC[?2026l);
 * - the region re-applied after the child resets it (ESC[r), switches screens (?1049/?1047/?47)
 *   or resets the terminal (ESC c, ESC[!p).
 * Pure: every method returns the text to write, and nothing is written here.
 */

const ESC = '\x1b';
const SYNC_BEGIN = `${ESC}[?2026h`;
const SYNC_END = `${ESC}[?2026l`;
const SAVE = `${ESC}7`;
const RESTORE = `${ESC}8`;

/** Private modes whose change switches screens (and so loses the region or the bar). */
const SCREEN_MODES = new Set(['1049', '1047', '47']);

export interface PainterOptions {
  /** The real terminal's size (the child's PTY is one row shorter). */
  rows: number;
  columns: number;
  /** The bar's text, one line (ANSI styles allowed), at most `columns - 1` wide. */
  bar?: string;
}

export interface TerminalPainter {
  readonly rows: number;
  readonly columns: number;
  /** Whether a bar row is in use (a terminal under 3 rows gets none). */
  readonly active: boolean;
  /** Makes room for the bar below the cursor, sets the region and paints: write before the child starts. */
  start(): string;
  /** The child's output chunk with the bar repainted (and the region re-applied) in the same write. */
  paint(chunk: string): string;
  /** New bar text: what to write now (empty when the child is mid-sequence; the next chunk paints). */
  setBar(bar: string): string;
  /** A paint is waiting for a safe point in the child's output (see `flush`). */
  readonly pending: boolean;
  /**
   * Paints a waiting bar now, even if the child stopped mid-sequence (CAN cancels its half-written
   * sequence on the terminal; the rest would show as text once it resumes). For prompts, which
   * must show while the child is stopped and writes nothing more.
   */
  flush(): string;
  /** The terminal was resized: what to write now (region for the new size, bar repainted with `bar` if given). */
  resize(rows: number, columns: number, bar?: string): string;
  /** Clears the bar row and gives the whole screen back (region reset): write when the child is done. */
  stop(): string;
}

/** Creates a painter for a terminal of the given size. */
export function createTerminalPainter(opts: PainterOptions): TerminalPainter {
  return new Painter(opts);
}

class Painter implements TerminalPainter {
  rows: number;
  columns: number;
  private bar: string;
  private readonly scanner = new TerminalScanner();
  /** The child saved its cursor (DECSC / CSI s) and has not restored it: our save would clobber it. */
  private childSaved = false;
  private originMode = false;
  private cursorHidden = false;
  private autowrapOff = false;
  /** G0 is not ASCII, or SO shifted to G1: the bar's text would come out as line drawing. */
  private g0Ascii = true;
  private shiftedOut = false;
  /** Work that could not be done mid-sequence, for the next safe point. */
  private needRegion = false;
  private needPaint = false;
  private stopped = false;

  constructor(opts: PainterOptions) {
    this.rows = opts.rows;
    this.columns = opts.columns;
    this.bar = opts.bar ?? '';
  }

  get active(): boolean {
    return this.rows >= 3 && !this.stopped;
  }

  private region(top = 1): string {
    return `${ESC}[${top};${this.rows - 1}r`;
  }

  /**
   * Save, move to the bar row, clear it, draw, restore. DECRC brings back the child's cursor, SGR,
   * charset and origin mode; cursor visibility and autowrap are not saved, so they are only touched
   * when the child has them in their default state (and put back).
   */
  private paintSequence(): string {
    let s = this.cursorHidden ? SAVE : `${ESC}[?25l${SAVE}`;
    if (this.originMode) s += `${ESC}[?6l`;
    if (!this.autowrapOff) s += `${ESC}[?7l`; // a too-wide bar is cut, never wrapped
    s += `${ESC}[${this.rows};1H${ESC}[0m`;
    if (!this.g0Ascii || this.shiftedOut) s += `${ESC}(B\x0f`;
    s += `${ESC}[2K${this.bar}`;
    if (!this.autowrapOff) s += `${ESC}[?7h`;
    s += RESTORE;
    if (!this.cursorHidden) s += `${ESC}[?25h`;
    return s;
  }

  /** What runs at a safe point: any pending region, then the bar. */
  private safePointWork(): string {
    let s = '';
    if (this.needRegion) s += `${SAVE}${this.region()}${RESTORE}`;
    s += this.paintSequence();
    this.needRegion = false;
    this.needPaint = false;
    return s;
  }

  start(): string {
    if (!this.active) return '';
    // As apt's progress bar does: a newline scrolls the screen when the cursor is on the last row,
    // then the region is set without moving the cursor, and the cursor goes back up.
    return `${SYNC_BEGIN}\r\n${SAVE}${this.region()}${RESTORE}${ESC}[1A${this.paintSequence()}${SYNC_END}`;
  }

  paint(chunk: string): string {
    if (!this.active) return chunk;
    const inserts: Insert[] = [];
    let firstGround = this.scanner.inGround ? 0 : -1;
    let lastGround = firstGround;
    let safe = this.scanner.inGround && !this.childSaved ? 0 : -1;
    this.scanner.scan(chunk, {
      sequence: (seq, start, end) => {
        if (start >= 0 && !this.childSaved) safe = start;
        const fix = this.observe(seq);
        if (fix) inserts.push({ at: end, rank: 1, text: fix });
        if (firstGround < 0) firstGround = end;
        lastGround = end;
        if (!this.childSaved) safe = end;
      },
    });
    if (this.scanner.inGround) {
      lastGround = chunk.length;
      if (!this.childSaved) safe = chunk.length;
    } else {
      const pending = this.scanner.pendingStart;
      if (pending >= 0) {
        lastGround = Math.max(lastGround, pending);
        if (!this.childSaved) safe = Math.max(safe, pending);
        if (firstGround < 0) firstGround = pending;
      }
    }
    if (safe >= 0) inserts.push({ at: safe, rank: 2, text: this.safePointWork() });
    else this.needPaint = true;
    if (firstGround < 0) return chunk; // all of it inside one long sequence: pass it through
    inserts.push({ at: firstGround, rank: 0, text: SYNC_BEGIN }, { at: Math.max(lastGround, safe), rank: 3, text: SYNC_END });
    return splice(chunk, inserts);
  }

  /** Tracks the modes the paint depends on; returns what to write right after `seq`, if anything. */
  private observe(seq: TermSequence): string {
    if (seq.type === 'control') {
      this.shiftedOut = seq.code === 0x0e;
      return '';
    }
    if (seq.type === 'esc') return this.observeEsc(seq.intermediates, seq.final);
    if (seq.type !== 'csi') return '';
    const { prefix, params, intermediates, final } = seq;
    if (prefix === '' && intermediates === '' && final === 'r') {
      // DECSTBM: keep the child's region if it leaves the bar row out, else end it above the bar.
      const [top = '', bottom = ''] = params.split(';');
      const b = Number(bottom || '0');
      if (b === 0 || b >= this.rows) return this.region(Math.max(1, Number(top || '1')));
      return '';
    }
    if (prefix === '' && intermediates === '' && params === '' && final === 's') this.childSaved = true;
    if (prefix === '' && intermediates === '' && params === '' && final === 'u') this.childSaved = false;
    if (prefix === '' && intermediates === '!' && final === 'p') return this.softReset();
    if (prefix === '?' && (final === 'h' || final === 'l')) return this.privateModes(params.split(';'), final === 'h');
    return '';
  }

  private observeEsc(intermediates: string, final: string): string {
    if (intermediates === '' && final === '7') this.childSaved = true;
    else if (intermediates === '' && final === '8') this.childSaved = false;
    else if (intermediates === '(') this.g0Ascii = final === 'B';
    else if (intermediates === '' && final === 'c') {
      // RIS: everything is reset, the screen cleared and the cursor homed.
      this.childSaved = false;
      this.originMode = false;
      this.cursorHidden = false;
      this.autowrapOff = false;
      this.g0Ascii = true;
      this.shiftedOut = false;
      return this.region();
    }
    return '';
  }

  /** DECSTR resets the margins and modes but not the cursor position. */
  private softReset(): string {
    this.originMode = false;
    this.cursorHidden = false;
    this.autowrapOff = false;
    this.g0Ascii = true;
    this.shiftedOut = false;
    if (this.childSaved) {
      this.needRegion = true;
      return '';
    }
    return `${SAVE}${this.region()}${RESTORE}`;
  }

  private privateModes(modes: string[], on: boolean): string {
    let screen = false;
    for (const mode of modes) {
      if (mode === '6') this.originMode = on;
      else if (mode === '7') this.autowrapOff = !on;
      else if (mode === '25') this.cursorHidden = !on;
      else if (SCREEN_MODES.has(mode)) screen = true;
    }
    if (!screen) return '';
    if (this.childSaved) {
      this.needRegion = true;
      return '';
    }
    // The other screen may not have the region; re-apply it without moving the child's cursor.
    return `${SAVE}${this.region()}${RESTORE}`;
  }

  get pending(): boolean {
    return this.active && this.needPaint;
  }

  flush(): string {
    if (!this.pending) return '';
    const cancel = this.scanner.inGround ? '' : '\x18';
    this.scanner.reset();
    return `${cancel}${SYNC_BEGIN}${this.safePointWork()}${SYNC_END}`;
  }

  setBar(bar: string): string {
    if (bar === this.bar && !this.needPaint) return '';
    this.bar = bar;
    return this.now('');
  }

  /** `before` and the safe-point work, now if the child's output is between sequences, else later. */
  private now(before: string): string {
    if (!this.active) return '';
    if (!this.scanner.inGround || this.childSaved) {
      this.needPaint = true;
      return '';
    }
    return `${SYNC_BEGIN}${before}${this.safePointWork()}${SYNC_END}`;
  }

  resize(rows: number, columns: number, bar?: string): string {
    const wasActive = this.active;
    const oldRows = this.rows;
    this.rows = rows;
    this.columns = columns;
    if (bar !== undefined) this.bar = bar;
    this.needRegion = true;
    if (!this.active) {
      // Too small for a bar: give the child the whole screen.
      return wasActive && this.scanner.inGround && !this.stopped ? `${SAVE}${ESC}[r${RESTORE}` : '';
    }
    // A taller terminal leaves the old bar row inside the child's area: blank it.
    const blank = wasActive && rows > oldRows ? `${SAVE}${ESC}[${oldRows};1H${ESC}[2K${RESTORE}` : '';
    return this.now(blank);
  }

  stop(): string {
    if (!this.active) return '';
    this.stopped = true;
    // CAN ends a sequence the child left half-written (it died mid-write), so ours is read as ours.
    const cancel = this.scanner.inGround ? '' : '\x18';
    // Blank the bar row, give the whole screen back as the scroll region, and put the cursor back.
    return `${cancel}${SAVE}${ESC}[${this.rows};1H${ESC}[0m${ESC}[2K${ESC}[r${RESTORE}`;
  }
}

/** Text to insert at a position of a chunk; at equal positions, lower ranks go first. */
interface Insert {
  at: number;
  rank: number;
  text: string;
}

/** Inserts texts at their positions. */
function splice(chunk: string, inserts: Insert[]): string {
  inserts.sort((a, b) => a.at - b.at || a.rank - b.rank);
  let out = '';
  let from = 0;
  for (const { at, text } of inserts) {
    out += chunk.slice(from, at) + text;
    from = at;
  }
  return out + chunk.slice(from);
}
