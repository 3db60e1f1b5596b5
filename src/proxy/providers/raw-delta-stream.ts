import { JsonStringScan } from './raw-json.js';
import type { RawEventStream } from './types.js';
import { LF } from '../shared-bytes.js';

/** Bytes after a delta's string that are kept to check how the event ends; past this it is read the usual way. */
const MAX_AFTER = 4096;

/** How a provider lays out its delta events, for RawDeltaStream. */
export interface DeltaLayout {
  /** Bytes of an event's start that bodyStart needs at most (it gets fewer when the event is shorter). */
  readonly headBytes: number;
  /** Where the delta's string body starts in `head`, an event's first bytes; null when the event is not laid out so. */
  bodyStart(head: Buffer): number | null;
  /**
   * Whether `after` (the event from its string's closing quote to its end) ends the event as the
   * layout does; `lineEndInString`: the string held a raw line feed.
   */
  tailOk(after: Buffer, lineEndInString: boolean): boolean;
}

/**
 * Meters a delta event that streams through the proxy in pieces (a pass-through event): its
 * string's length is read as the pieces pass, so they are never joined (issue 11: joining a
 * multi-megabyte delta copied every byte once more, and the copies kept the collector busy). Only
 * references to the pieces are kept, for an event that turns out not to be laid out as expected,
 * which is then read the usual way from bytes().
 */
export class RawDeltaStream implements RawEventStream {
  private readonly pieces: Buffer[] = [];
  private seen = 0;
  private scan: JsonStringScan | null = null;
  private failed = false;
  private lineEndInString = false;
  private readonly after: Buffer[] = [];
  private afterBytes = 0;
  /** Where in the event the bytes push holds back start: the text's closing quote, or where reading it failed. */
  private holdAt = Infinity;

  /** `reading`: the meter's reading, whose outputChars the delta's characters are added to once it is whole. */
  constructor(
    private readonly layout: DeltaLayout,
    private readonly reading: { outputChars: number },
  ) {}

  push(piece: Buffer): void {
    const at = this.seen;
    this.pieces.push(piece);
    this.seen += piece.length;
    if (this.failed) return;
    if (this.scan !== null) this.read(piece, 0, at);
    else if (this.seen >= this.layout.headBytes) this.start();
  }

  allowed(): number {
    return this.scan === null ? 0 : Math.min(this.seen, this.holdAt);
  }

  /** Decided once the layout's head bytes have come: a pass-through event streams on only then. */
  started(): boolean | null {
    return this.failed ? false : this.scan !== null ? true : null;
  }

  end(): boolean {
    if (this.scan === null && !this.failed) this.start();
    if (this.failed || this.scan?.state !== 'closed') return false;
    if (!this.layout.tailOk(this.tail(), this.lineEndInString)) return false;
    this.reading.outputChars += this.scan.units;
    return true;
  }

  bytes(): Buffer {
    return this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
  }

  held(from: number): Buffer {
    // Read whole to its tail, which starts where the bytes let go end: no copy of the text.
    if (!this.failed && this.scan?.state === 'closed' && from === this.holdAt) return this.tail();
    return this.bytes().subarray(from);
  }

  /** The event from its text's closing quote on. */
  private tail(): Buffer {
    return this.after.length === 1 ? this.after[0]! : Buffer.concat(this.after);
  }

  /** Finds the string's start in the event's first bytes (the layout's head, or all of a shorter event) and reads on from there. */
  private start(): void {
    const head = this.bytes();
    const at = this.layout.bodyStart(head);
    if (at === null) {
      this.failed = true;
      return;
    }
    this.scan = new JsonStringScan();
    this.read(head, at, 0);
  }

  /** Reads `buf` (at `offset` in the event) from `from`: the string while it goes on, then what follows it. */
  private read(buf: Buffer, from: number, offset: number): void {
    const scan = this.scan!;
    if (scan.state === 'open') {
      const end = scan.feed(buf, from);
      if (scan.bad()) {
        this.failed = true;
        this.holdAt = Math.min(this.holdAt, offset);
        return;
      }
      const lf = buf.indexOf(LF, from);
      if (lf !== -1 && (end === -1 || lf < end)) this.lineEndInString = true;
      if (end === -1) return;
      from = end - 1; // what follows starts at the closing quote
      this.holdAt = offset + from;
    }
    this.afterBytes += buf.length - from;
    if (this.afterBytes > MAX_AFTER) this.failed = true;
    else this.after.push(buf.subarray(from));
  }
}
