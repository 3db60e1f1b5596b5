/** WebSocket opcodes (RFC 6455 §5.2). */
export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface WsFrame {
  fin: boolean;
  opcode: number;
  /** Unmasked payload. */
  payload: Buffer;
  /** The frame exactly as it arrived. */
  raw: Buffer;
}

/** Largest frame accepted; larger ones mean a broken or hostile peer. */
const MAX_FRAME = 256 * 1024 * 1024;

/** Incremental RFC 6455 frame parser: bytes in (split anywhere), whole frames out. */
export class WsFrameParser {
  private pending: Buffer = Buffer.alloc(0);
  error: string | null = null;

  /** Chunks of a large frame still arriving, and how many bytes that frame needs in all. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private need = 0;

  push(chunk: Buffer): WsFrame[] {
    // While a large frame is incomplete, chunks are kept aside and joined once it is whole,
    // rather than copying everything held so far on every chunk.
    if (this.need > 0 && this.pending.length + this.partsBytes + chunk.length < this.need) {
      this.parts.push(chunk);
      this.partsBytes += chunk.length;
      return [];
    }
    const held = this.parts.length > 0 ? [this.pending, ...this.parts, chunk] : [this.pending, chunk];
    this.parts = [];
    this.partsBytes = 0;
    this.need = 0;
    this.pending = this.pending.length === 0 && held.length === 2 ? chunk : Buffer.concat(held);
    const frames: WsFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
    }
    return frames;
  }

  private next(): WsFrame | null {
    const b = this.pending;
    if (this.error || b.length < 2) return null;
    const fin = (b[0]! & 0x80) !== 0;
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(MAX_FRAME)) {
        this.error = 'frame too large';
        return null;
      }
      length = Number(big);
      offset = 10;
    }
    const maskOffset = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) {
      this.need = offset + length;
      return null;
    }
    const raw = b.subarray(0, offset + length);
    let payload = b.subarray(offset, offset + length);
    if (masked) {
      payload = Buffer.from(payload);
      maskInPlace(payload, 0, payload.length, b.subarray(maskOffset, maskOffset + 4));
    }
    this.pending = b.subarray(offset + length);
    return { fin, opcode, payload, raw };
  }
}

/** Whether this machine stores a Uint32Array's words low byte first (every platform Node ships for). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this many bytes the word view costs more than it saves. */
const WORD_MASK_MIN = 32;

/**
 * XORs buf[start, end) with the 4-byte `mask`, mask[0] at `start` (RFC 6455 §5.3). Four bytes at a
 * time once aligned: a byte loop cost about 1.5 ns a byte, 13 µs for an agent's 9 KB message.
 */
export function maskInPlace(buf: Buffer, start: number, end: number, mask: Buffer): void {
  let i = start;
  if (LITTLE_ENDIAN && end - start >= WORD_MASK_MIN) {
    for (; ((buf.byteOffset + i) & 3) !== 0; i++) buf[i]! ^= mask[(i - start) & 3]!;
    const words = (end - i) >>> 2;
    const k = i - start;
    const word = mask[k & 3]! | (mask[(k + 1) & 3]! << 8) | (mask[(k + 2) & 3]! << 16) | (mask[(k + 3) & 3]! << 24);
    const view = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w]! ^= word;
    i += words * 4;
  }
  for (; i < end; i++) buf[i]! ^= mask[(i - start) & 3]!;
}

/** Encodes one final frame; `mask` is required from client to server (RFC 6455 §5.3). */
export function encodeFrame(opcode: number, payload: Buffer, mask: Buffer | null): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.alloc(head + (mask ? 4 : 0) + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = len;
  else if (len < 65536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  if (mask) {
    out[1] |= 0x80;
    mask.copy(out, head);
    payload.copy(out, head + 4);
    maskInPlace(out, head + 4, head + 4 + len, mask);
  } else {
    payload.copy(out, head);
  }
  return out;
}

/** Reassembles fragmented text/binary messages; control frames pass through on their own. */
export class MessageAssembler {
  private parts: Buffer[] = [];
  private opcode = 0;

  /** Returns the whole message once its final fragment arrives, else null. */
  add(frame: WsFrame): { opcode: number; data: Buffer } | null {
    if (frame.opcode >= 8) return null;
    if (frame.opcode !== OP.continuation) {
      this.opcode = frame.opcode;
      this.parts = [];
    }
    this.parts.push(frame.payload);
    if (!frame.fin) return null;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    return { opcode: this.opcode, data };
  }
}
