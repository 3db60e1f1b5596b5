import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  event: string | null;
  data: string;
}

/**
 * Incremental Server-Sent Events parser for a copy of a stream: bytes go in as they arrive (split
 * anywhere, even inside a UTF-8 sequence or a CRLF), complete events come out. It never throws.
 */
export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private eventName: string | null = null;
  private dataLines: string[] = [];
  private pendingCr = false;

  push(chunk: Buffer | string): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    return this.consume(text);
  }

  /** Between events: nothing of a line or an event is held (a whole raw event may bypass the reader). */
  idle(): boolean {
    return this.buffer === '' && this.dataLines.length === 0 && this.eventName === null && !this.pendingCr;
  }

  /** Flushes what is left when the stream ends; an unterminated event still dispatches. */
  end(): SseEvent[] {
    const events = this.consume(this.decoder.end());
    if (this.buffer.length > 0) {
      this.line(this.buffer, events);
      this.buffer = '';
    }
    this.dispatch(events);
    return events;
  }

  private consume(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    if (text.length === 0) return events;
    let start = 0;
    if (this.pendingCr && text.charCodeAt(0) === 10) start = 1; // the \n of a \r\n split across pushes
    this.pendingCr = false;
    // Line ends found with indexOf (native), not a character-by-character loop.
    let cr = text.indexOf('\r', start);
    for (;;) {
      const lf = text.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      const i = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (i === -1) break;
      const line = this.buffer + text.slice(start, i);
      this.buffer = '';
      this.line(line, events);
      if (i === cr) {
        if (i + 1 < text.length) start = text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
        else {
          this.pendingCr = true;
          start = i + 1;
        }
      } else {
        start = i + 1;
      }
    }
    this.buffer += text.slice(start);
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line.length === 0) {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.dataLines.push(value);
  }

  private dispatch(events: SseEvent[]): void {
    if (this.dataLines.length > 0) events.push({ event: this.eventName, data: this.dataLines.join('\n') });
    this.eventName = null;
    this.dataLines = [];
  }
}
