import { CR, EMPTY_BYTES, LF } from './shared-bytes.js';

/** An event end (a blank line) is at most 4 bytes: at most 3 of them can lie before a chunk's start. */
const KEEP = 3;

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

  /** The event not yet whole was let go of (skipHeld): only its end is looked for. */
  private skipping = false;
  /** The last bytes of the event let go of (the first keptLength), for an end that begins in one chunk and ends in the next. */
  private readonly kept = Buffer.alloc(KEEP);
  private keptLength = 0;
  private readonly ends = new EventEnds(EMPTY_BYTES, 0);

  /** Whether an event let go of by skipHeld has not ended yet. */
  get skippingEvent(): boolean {
    return this.skipping;
  }

  /**
   * Lets go of the event not yet whole (a pass-through event the caller reads as it streams on):
   * returns its bytes held so far and keeps none of its bytes from now on, only looking for its
   * end. Until it ends push returns nothing; then the first buffer push returns is the rest of
   * that event (possibly empty), followed by whole events as usual.
   */
  skipHeld(): Buffer[] {
    const held = [this.pending, ...this.parts];
    this.keptLength = 0;
    for (const b of held) this.keep(b);
    this.pending = EMPTY_BYTES;
    this.parts = [];
    this.partsBytes = 0;
    this.scanFrom = 0;
    this.skipping = true;
    return held;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.skipping) return this.pushSkipped(chunk);
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
    // Called for every read, and a stream of short deltas brings one event a read: no object
    // that is not needed (the ends finder is reused; a whole buffer is its own event; nothing
    // left is the shared empty buffer; one event is an array of one, not one grown by push).
    let events: Buffer[] | null = null;
    const ends = this.ends.reset(buf, pos);
    for (let end = ends.next(); end !== -1; end = ends.next()) {
      const event = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
      if (events) events.push(event);
      else events = [event];
      start = end;
    }
    this.pending = start === buf.length ? EMPTY_BYTES : buf.subarray(start);
    this.scanFrom = Math.max(0, ends.pos - start);
    return events ?? [];
  }

  /** A chunk while an event let go of goes on: see skipHeld. */
  private pushSkipped(chunk: Buffer): Buffer[] {
    const end = skippedEventEnd(this.kept.subarray(0, this.keptLength), chunk);
    if (end === -1) {
      this.keep(chunk);
      return [];
    }
    this.skipping = false;
    this.keptLength = 0;
    return [chunk.subarray(0, end), ...this.frame(chunk, end, end)];
  }

  /** Keeps the last KEEP bytes of those kept and `more`, in place (called for every chunk of a long event). */
  private keep(more: Buffer): void {
    const fromMore = Math.min(KEEP, more.length);
    const fromKept = Math.min(this.keptLength, KEEP - fromMore);
    this.kept.copyWithin(0, this.keptLength - fromKept, this.keptLength);
    for (let i = 0; i < fromMore; i++) this.kept[fromKept + i] = more[more.length - fromMore + i]!;
    this.keptLength = fromKept + fromMore;
  }

  /** The bytes of an unterminated last event, if any (none of an event let go of: the caller has them). */
  end(): Buffer | null {
    this.skipping = false;
    this.keptLength = 0;
    const rest = this.parts.length > 0 ? Buffer.concat([this.pending, ...this.parts]) : this.pending;
    this.parts = [];
    this.partsBytes = 0;
    this.pending = Buffer.alloc(0);
    this.scanFrom = 0;
    return rest.length > 0 ? rest : null;
  }

  /** The bytes held of the event not yet whole, in order (still held: see skipHeld). */
  heldPieces(): Buffer[] {
    return this.parts.length === 0 ? [this.pending] : [this.pending, ...this.parts];
  }

  /** How many bytes of the event not yet whole are held. */
  heldLength(): number {
    return this.pending.length + this.partsBytes;
  }

  /** The first `n` held bytes (or fewer) of the event not yet whole. */
  head(n: number): Buffer {
    if (this.pending.length >= n || this.parts.length === 0) return this.pending.subarray(0, n);
    // Only as many parts as the first n bytes need: the rest may be megabytes.
    const first = [this.pending];
    let have = this.pending.length;
    for (let i = 0; i < this.parts.length && have < n; i++) {
      first.push(this.parts[i]!);
      have += this.parts[i]!.length;
    }
    return Buffer.concat(first).subarray(0, n);
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
  private cr = -1;

  /** `pos`: where the next search starts; once none is found, where to resume when more bytes arrive. */
  constructor(
    private buf: Buffer,
    public pos: number,
  ) {
    this.reset(buf, pos);
  }

  /** Starts over in `buf` from `pos`. */
  reset(buf: Buffer, pos: number): this {
    this.buf = buf;
    this.pos = pos;
    this.cr = buf.indexOf(CR, pos);
    return this;
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

/**
 * Where, in `chunk`, an event ends whose last bytes so far were `kept` (no end lies in them);
 * -1 when it does not end there.
 */
function skippedEventEnd(kept: Buffer, chunk: Buffer): number {
  // An end begun in `kept` (a line end there) finishes within the chunk's first bytes.
  if (kept.includes(LF) || kept.includes(CR)) {
    const straddling = new EventEnds(Buffer.concat([kept, chunk.subarray(0, KEEP)]), 0).next();
    if (straddling !== -1) return Math.max(0, straddling - kept.length);
  }
  return firstEventEnd(chunk);
}
