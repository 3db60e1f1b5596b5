import { send, type Relay } from './relay-shared.js';
import { contiguousRuns } from './shared-bytes.js';

/** A piece larger than this is written as it is rather than copied into the turn's one write. */
export const COALESCE_MAX_BYTES = 16 * 1024;

/**
 * The writes to the client of one turn of the event loop, made as one. An upstream read of a
 * stream of short deltas holds hundreds of events, each a `data` event of its own (one per chunk
 * of the chunked encoding), and each relayed on its own cost Node a `res.write` and three more
 * buffers for the socket's writev (the chunk's header, its bytes, its end). Here the first piece
 * of a turn is written at once (queued too, it made an answer's first byte 0.05 ms later when the
 * machine was busy) and the rest are queued and written at the end of the turn (a microtask),
 * joined: 1 MB in 10-token deltas took about a third less of capped's CPU (issue 11). Nothing
 * waits past the current turn. A piece over COALESCE_MAX_BYTES goes out at once, after what is
 * queued, so a multi-megabyte delta is never copied.
 */
export class ClientWrites {
  private queued: Buffer[] = [];
  private scheduled = false;
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** `held`: whether a tool call waits for a person (the upstream then stays paused after a drain). */
  constructor(
    private readonly r: Pick<Relay, 'res' | 'clientGone' | 'upstream'>,
    private readonly held: () => boolean = () => false,
  ) {}

  write(data: Buffer): void {
    if (data.length === 0) return;
    if (data.length > COALESCE_MAX_BYTES) {
      this.flush();
      this.put(data);
      return;
    }
    if (!this.scheduled) {
      // The turn's first piece goes at once: the first byte of an answer waits on nothing.
      this.scheduled = true;
      queueMicrotask(this.flushNow);
      this.put(data);
      return;
    }
    this.queued.push(data);
  }

  /**
   * Writes what is queued now: before the response ends, or anything written past this queue. A
   * run of pieces back to back in one buffer is a view; runs up to COALESCE_MAX_BYTES between
   * larger ones are joined (a chunk's events after one carried over from the chunk before: two
   * writes, nothing copied).
   */
  flush(): void {
    const queued = this.queued;
    if (queued.length === 0) return;
    this.queued = [];
    if (queued.length === 1) return this.put(queued[0]!);
    const runs = contiguousRuns(queued);
    // Each stretch of small runs is one write; a large run is a write of its own.
    let from = 0;
    for (let i = 0; i <= runs.length; i++) {
      if (i < runs.length && runs[i]!.length <= COALESCE_MAX_BYTES) continue;
      if (i - from === 1) this.put(runs[from]!);
      else if (i - from > 1) this.put(Buffer.concat(runs.slice(from, i)));
      if (i < runs.length) this.put(runs[i]!);
      from = i + 1;
    }
  }

  private put(data: Buffer): void {
    // Ended by someone else within the turn (capped's internal-error answer): a write after the
    // end would be an unhandled error on the response.
    if (this.r.res.writableEnded || this.r.res.destroyed) return;
    send(this.r, data, this.held);
  }
}
