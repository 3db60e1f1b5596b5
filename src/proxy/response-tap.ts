import type zlib from 'node:zlib';
import { lazyRequire } from '../lazy-require.js';
import { SseReader } from './sse-reader.js';
import { tryParse } from './providers/json.js';
import type { Meter } from './providers/types.js';

/** Non-streamed bodies larger than this are not kept for reading; usage is then estimated. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

const zlibLib = lazyRequire<typeof zlib>('node:zlib');

/**
 * Reads a copy of a response for its meter while the original bytes go to the client untouched.
 * Compressed bodies are decoded on the side; SSE is parsed as it arrives, JSON at the end.
 */
export class ResponseTap {
  private readonly sse: SseReader | null;
  private readonly decoder: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null;
  private readonly jsonChunks: Buffer[] = [];
  private jsonBytes = 0;
  private finished: Promise<void>;
  bytes = 0;

  constructor(
    private readonly meter: Meter,
    contentType: string,
    contentEncoding: string,
  ) {
    this.sse = contentType.includes('text/event-stream') ? new SseReader() : null;
    const enc = contentEncoding.trim().toLowerCase();
    const z = enc === 'gzip' || enc === 'x-gzip' || enc === 'deflate' || enc === 'br' ? zlibLib() : null;
    this.decoder = !z ? null : enc === 'deflate' ? z.createInflate() : enc === 'br' ? z.createBrotliDecompress() : z.createGunzip();
    if (this.decoder) {
      const decoder = this.decoder;
      decoder.on('data', (chunk: Buffer) => this.read(chunk));
      this.finished = new Promise((resolve) => {
        decoder.on('end', resolve);
        // A corrupt compressed body is counted as unreadable; the client still got every byte.
        decoder.on('error', () => {
          this.meter.json(undefined);
          resolve();
        });
      });
    } else {
      this.finished = Promise.resolve();
    }
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.decoder) this.decoder.write(chunk);
    else this.read(chunk);
  }

  /** Completes reading; resolves once every decoded byte reached the meter. */
  async end(): Promise<void> {
    if (this.decoder) {
      this.decoder.end();
      await this.finished;
    }
    if (this.sse) {
      for (const e of this.sse.end()) this.meter.event(e);
      return;
    }
    if (this.jsonBytes === 0) return;
    if (this.jsonBytes > MAX_JSON_BYTES) {
      this.meter.json(undefined);
      return;
    }
    this.meter.json(tryParse(Buffer.concat(this.jsonChunks).toString('utf8')));
  }

  private read(chunk: Buffer): void {
    if (this.sse) {
      for (const e of this.sse.push(chunk)) this.meter.event(e);
      return;
    }
    this.jsonBytes += chunk.length;
    if (this.jsonBytes <= MAX_JSON_BYTES) this.jsonChunks.push(chunk);
  }
}
