// A minimal WebSocket client (RFC 6455) for bench/proxy-overhead.js: the opening handshake over
// node:http, masked client text frames out, unmasked server frames in. No dependencies, no
// extensions (permessage-deflate is not offered), text messages only, as the OpenAI Responses
// WebSocket uses them. It is built for timing: one request at a time, and a big server frame is
// assembled with one copy (not one per TCP chunk), so the client's own cost stays small and equal
// on both paths.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };

/** One final frame; client frames are masked (RFC 6455 §5.3). */
function encodeFrame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, head);
  const body = head + 4;
  for (let i = 0; i < len; i++) out[body + i] = payload[i] ^ mask[i & 3];
  return out;
}

/** Incremental parser for server frames: chunks are kept as they come and joined once per frame. */
class FrameReader {
  constructor() {
    this.chunks = [];
    this.have = 0;
    /** Length of the frame being read (header included), once its header is in; else 0. */
    this.need = 0;
    this.headLen = 0;
  }

  /** The first `n` buffered bytes, without consuming them. */
  peek(n) {
    if (this.chunks[0].length >= n) return this.chunks[0];
    return Buffer.concat(this.chunks, Math.min(this.have, n));
  }

  /** Consumes and returns the first `n` buffered bytes (`n` <= this.have). */
  take(n) {
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.have -= n;
      return first.subarray(0, n);
    }
    const parts = [];
    let got = 0;
    while (got < n) {
      const c = this.chunks[0];
      if (got + c.length <= n) {
        parts.push(this.chunks.shift());
        got += c.length;
      } else {
        parts.push(c.subarray(0, n - got));
        this.chunks[0] = c.subarray(n - got);
        got = n;
      }
    }
    this.have -= n;
    return Buffer.concat(parts, n);
  }

  /** Pushes bytes; returns the frames now complete as { fin, opcode, payload }. */
  push(chunk) {
    this.chunks.push(chunk);
    this.have += chunk.length;
    const frames = [];
    for (;;) {
      if (this.need === 0) {
        if (this.have < 2) break;
        const b = this.peek(10);
        const masked = (b[1] & 0x80) !== 0;
        let len = b[1] & 0x7f;
        let headLen = 2;
        if (len === 126) {
          if (this.have < 4) break;
          len = b.readUInt16BE(2);
          headLen = 4;
        } else if (len === 127) {
          if (this.have < 10) break;
          len = Number(b.readBigUInt64BE(2));
          headLen = 10;
        }
        if (masked) throw new Error('WebSocket: the server sent a masked frame');
        this.headLen = headLen;
        this.need = headLen + len;
      }
      if (this.have < this.need) break;
      const frame = this.take(this.need);
      frames.push({ fin: (frame[0] & 0x80) !== 0, opcode: frame[0] & 0x0f, payload: frame.subarray(this.headLen) });
      this.need = 0;
    }
    return frames;
  }
}

/**
 * An open WebSocket with one request in flight at a time: `request(text, isTerminal)` sends one
 * text message and resolves once a server message for which `isTerminal(payload)` is true arrives,
 * with the time to the first message, to the terminal one, the payload bytes and the payloads.
 */
export class WsClient {
  constructor(socket, head) {
    this.socket = socket;
    this.reader = new FrameReader();
    this.pending = null;
    this.fragments = [];
    this.closed = null;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('WebSocket: the connection closed')));
    if (head && head.length > 0) this.onData(head);
  }

  onData(chunk) {
    let frames;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.fail(err);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  onFrame({ fin, opcode, payload }) {
    if (opcode === OP.ping) {
      this.socket.write(encodeFrame(OP.pong, payload));
      return;
    }
    if (opcode === OP.pong) return;
    if (opcode === OP.close) {
      this.fail(new Error(`WebSocket: the server closed (${payload.length >= 2 ? payload.readUInt16BE(0) : 1005})`));
      return;
    }
    this.fragments.push(payload);
    if (!fin) return;
    const message = this.fragments.length === 1 ? this.fragments[0] : Buffer.concat(this.fragments);
    this.fragments = [];
    const p = this.pending;
    if (!p) {
      this.fail(new Error('WebSocket: a message arrived with no request in flight'));
      return;
    }
    const now = performance.now();
    if (p.first < 0) p.first = now;
    p.bytes += message.length;
    p.chunks.push(message);
    if (p.isTerminal(message)) {
      this.pending = null;
      p.resolve({ status: 200, ttfb: p.first - p.t0, total: now - p.t0, bytes: p.bytes, chunks: p.chunks, last: message });
    }
  }

  fail(err) {
    this.closed ??= err;
    const p = this.pending;
    this.pending = null;
    if (p) p.reject(err);
  }

  request(text, isTerminal) {
    if (this.closed) return Promise.reject(this.closed);
    if (this.pending) return Promise.reject(new Error('WebSocket: one request at a time'));
    const frame = encodeFrame(OP.text, Buffer.from(text, 'utf8'));
    return new Promise((resolve, reject) => {
      this.pending = { t0: performance.now(), first: -1, bytes: 0, chunks: [], isTerminal, resolve, reject };
      this.socket.write(frame);
    });
  }

  /** Sends a close frame and ends the connection (without waiting for the server's close). */
  close() {
    this.closed ??= new Error('WebSocket: closed by the client');
    if (this.socket.destroyed) return;
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000, 0);
    this.socket.end(encodeFrame(OP.close, code));
  }
}

/** Opens a WebSocket to an http:// URL (the handshake goes over node:http); resolves when it is open. */
export function connectWebSocket(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = http.request(url, {
      method: 'GET',
      agent: false,
      headers: {
        ...headers,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': key,
      },
    });
    req.on('upgrade', (res, socket, head) => {
      const accept = createHash('sha1')
        .update(key + GUID)
        .digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) {
        socket.destroy();
        reject(new Error(`WebSocket handshake with ${url}: wrong Sec-WebSocket-Accept`));
        return;
      }
      resolve(new WsClient(socket, head));
    });
    req.on('response', (res) => {
      res.resume();
      reject(new Error(`WebSocket handshake with ${url}: HTTP ${res.statusCode} instead of 101`));
    });
    req.on('error', reject);
    req.end();
  });
}
