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
    if (this.parts.length > 0) {
      this.pending = Buffer.concat([this.pending, ...this.parts]);
      this.parts = [];
      this.partsBytes = 0;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const events: Buffer[] = [];
    let start = 0;
    let pos = this.scanFrom;
    const buf = this.pending;
    // Where the next CR is; most streams have none, so it is searched for once, not per line.
    let cr = buf.indexOf(CR, pos);
    for (;;) {
      const lf = buf.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = buf.indexOf(CR, pos);
      const i = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (i === -1) {
        pos = buf.length;
        break;
      }
      const first = terminatorLength(buf, i);
      if (first === 0) {
        pos = i; // a CR at the very end: it may be the start of CRLF
        break;
      }
      const j = i + first;
      if (j >= buf.length) {
        pos = i;
        break;
      }
      const c = buf[j];
      if (c === LF || c === CR) {
        const second = terminatorLength(buf, j);
        if (second === 0) {
          pos = i;
          break;
        }
        const end = j + second;
        events.push(buf.subarray(start, end));
        start = end;
        pos = end;
      } else {
        pos = j;
      }
    }
    this.pending = buf.subarray(start);
    this.scanFrom = Math.max(0, pos - start);
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
