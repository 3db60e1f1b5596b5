const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a raw SSE byte stream into whole events (each with its terminating blank line), so the
 * proxy can decide per event while still forwarding the exact bytes it received. Only the bytes of
 * an event that has not ended yet are held back. Delimiters are ASCII, so UTF-8 is never split.
 */
export class SseFramer {
  private pending: Buffer = Buffer.alloc(0);
  /** Where to resume scanning in `pending` (bytes before it hold no event end). */
  private scanFrom = 0;

  /** Chunks of a long event waiting to be joined: joined once, when a line end arrives. */
  private parts: Buffer[] = [];
  private partsBytes = 0;

  push(chunk: Buffer): Buffer[] {
    // A chunk without any line end cannot finish an event (JSON escapes its newlines): keep it
    // aside instead of copying everything held so far on every chunk of a multi-megabyte event.
    if (this.pending.length > 0 && chunk.indexOf(LF) === -1 && chunk.indexOf(CR) === -1) {
      this.parts.push(chunk);
      this.partsBytes += chunk.length;
      return [];
    }
    if (this.pending.length === 0) return this.frame(chunk, 0, 0);
    // An event is held (nearly always: reads seldom end where an event does). It is joined, with
    // its parts, in one copy with only the start of the chunk, up to the first event end the
    // chunk holds, plus one byte (a CR there may be half of a CRLF); the rest of the chunk is
    // framed in place. Joining the whole chunk copied every byte of a stream once more (issue 11).
    const held = this.parts.length > 0 ? [this.pending, ...this.parts] : [this.pending];
    this.parts = [];
    this.partsBytes = 0;
    const end = firstEventEnd(chunk);
    if (end === -1) return this.frame(Buffer.concat([...held, chunk]), 0, this.scanFrom);
    const cut = Math.min(chunk.length, end + 1);
    const events = this.frame(Buffer.concat([...held, chunk.subarray(0, cut)]), 0, this.scanFrom);
    // Where the bytes still held begin, in the chunk.
    const rest = cut - this.pending.length;
    if (rest < 0) {
      // No event ended within the chunk's part (the chunk's own first end is always one when it
      // follows held bytes, so this is a safeguard): join the rest as before.
      events.push(...this.frame(Buffer.concat([this.pending, chunk.subarray(cut)]), 0, this.scanFrom));
      return events;
    }
    // An event starts at `rest`: framing from there in the chunk itself finds the same events.
    events.push(...this.frame(chunk, rest, rest));
    return events;
  }

  /**
   * Whole events of `buf` from `start` (an event's first byte), scanning from `pos` (no event end
   * lies between them); keeps what is left as the event not yet whole.
   */
  private frame(buf: Buffer, start: number, pos: number): Buffer[] {
    const events: Buffer[] = [];
    const ends = new EventEnds(buf, pos);
    for (let end = ends.next(); end !== -1; end = ends.next()) {
      events.push(buf.subarray(start, end));
      start = end;
    }
    this.pending = buf.subarray(start);
    this.scanFrom = Math.max(0, ends.pos - start);
    return events;
  }

  /** The bytes of an unterminated last event, if any. */
  end(): Buffer | null {
    const rest = this.parts.length > 0 ? Buffer.concat([this.pending, ...this.parts]) : this.pending;
    this.parts = [];
    this.partsBytes = 0;
    this.pending = Buffer.alloc(0);
    this.scanFrom = 0;
    return rest.length > 0 ? rest : null;
  }

  /** How many bytes of the event not yet whole are held. */
  heldLength(): number {
    return this.pending.length + this.partsBytes;
  }

  /** The first `n` held bytes (or fewer) of the event not yet whole. */
  head(n: number): Buffer {
    if (this.pending.length >= n || this.parts.length === 0) return this.pending.subarray(0, n);
    return Buffer.concat([this.pending, ...this.parts]).subarray(0, n);
  }

  /** The held bytes of the event not yet whole, from offset `from` (without joining the rest). */
  held(from = 0): Buffer {
    const pieces: Buffer[] = [];
    let at = 0;
    for (const b of [this.pending, ...this.parts]) {
      if (at + b.length > from) pieces.push(b.subarray(Math.max(0, from - at)));
      at += b.length;
    }
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  }
}

/** Length of the line terminator at `i` (1 or 2), or 0 when a final CR might still become CRLF. */
function terminatorLength(buf: Buffer, i: number): number {
  if (buf[i] === LF) return 1;
  if (i + 1 >= buf.length) return 0;
  return buf[i + 1] === LF ? 2 : 1;
}

/** Finds event ends (the end of a blank line) in one buffer, one after another. */
class EventEnds {
  /** Where the next CR is; most streams have none, so it is searched for once, not per line. */
  private cr: number;

  /** `pos`: where the next search starts; once none is found, where to resume when more bytes arrive. */
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {
    this.cr = buf.indexOf(CR, pos);
  }

  /** The end of the next event, or -1. */
  next(): number {
    const buf = this.buf;
    let pos = this.pos;
    for (;;) {
      const lf = buf.indexOf(LF, pos);
      if (this.cr !== -1 && this.cr < pos) this.cr = buf.indexOf(CR, pos);
      const cr = this.cr;
      const i = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (i === -1) {
        this.pos = buf.length;
        return -1;
      }
      const first = terminatorLength(buf, i);
      const j = i + first;
      // A CR at the very end may be the start of CRLF; a line end at the end may start a blank line.
      if (first === 0 || j >= buf.length) {
        this.pos = i;
        return -1;
      }
      const c = buf[j];
      if (c === LF || c === CR) {
        const second = terminatorLength(buf, j);
        if (second === 0) {
          this.pos = i;
          return -1;
        }
        this.pos = j + second;
        return this.pos;
      }
      pos = j;
    }
  }
}

/** Where the first event that ends in `chunk` read on its own ends, or -1. */
function firstEventEnd(chunk: Buffer): number {
  return new EventEnds(chunk, 0).next();
}
