import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { BufferedRequest, MAX_OWN_HEAD_BYTES, readRequestHead, type AgentRequest, type RequestHead } from './agent-request.js';
import { SocketResponse, type AgentResponse } from './agent-response.js';
import { HEAD_END } from './http-lines.js';

export interface ConnectionHooks {
  /** A request read whole, to answer through `res`. */
  serve(req: BufferedRequest, res: SocketResponse): void;
  /** node:http takes the connection from here on; the bytes capped read but did not use are back on it. */
  handOff(socket: Socket): void;
  /** How long a connection may wait for its next request (node:http's keepAliveTimeout). */
  keepAliveMs: number;
}

/** Bytes of a pipelined next request kept while one is answered; past them reading pauses. */
const MAX_AHEAD_BYTES = 1024 * 1024;

/**
 * One agent connection read by capped itself: node:http's server cost a metered request 0.03 to
 * 0.22 ms more, by the row of the bench (issue 11). Requests are answered one at a time, in
 * order: a head, its body whole (content-length), then the answer; the next request's bytes wait
 * until it is written. The first request that is not plain (see readRequestHead) hands the
 * connection, its bytes put back, to node:http for good, between two requests: node:http then
 * answers it, upgrades included.
 */
export class AgentConnection {
  /** Bytes read and not yet used: a head coming in, or what came after the last request. */
  private held: Buffer | null = null;
  private head: RequestHead | null = null;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private current: SocketResponse | null = null;
  /** The agent closed its side: close ours after the answer in hand. */
  private ended = false;
  private closed = false;

  private readonly onData = (chunk: Buffer): void => this.read(chunk);
  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.current === null) this.socket.end();
  };
  private readonly onClose = (): void => {
    this.closed = true;
    const res = this.current;
    this.current = null;
    this.held = null;
    res?.gone();
  };
  private readonly onDrain = (): void => {
    this.current?.emit('drain');
  };
  private readonly onTimeout = (): void => {
    if (this.current === null) this.socket.destroy();
  };
  private readonly onError = (): void => {
    // 'close' follows; the answer in hand learns of it there.
  };
  private readonly answered = (res: SocketResponse): void => this.next(res);
  /** What this connection listens to on the socket, taken off when node:http takes it. */
  private readonly listening: [string, (chunk: Buffer) => void][] = [
    ['data', this.onData],
    ['end', this.onEnd],
    ['close', this.onClose],
    ['drain', this.onDrain],
    ['error', this.onError],
    ['timeout', this.onTimeout],
  ];

  constructor(
    private readonly socket: Socket,
    private readonly hooks: ConnectionHooks,
  ) {
    for (const [event, listener] of this.listening) socket.on(event, listener);
    socket.setTimeout(hooks.keepAliveMs);
  }

  private read(chunk: Buffer): void {
    if (this.head !== null && this.current === null) {
      this.takeBody(chunk);
      return;
    }
    this.held = this.held === null ? chunk : Buffer.concat([this.held, chunk]);
    if (this.current !== null) {
      if (this.held.length > MAX_AHEAD_BYTES) this.socket.pause();
      return;
    }
    this.readHead();
  }

  /** Reads the held bytes' head, if whole, and decides who answers it. */
  private readHead(): void {
    const bytes = this.held;
    if (bytes === null) return;
    const end = bytes.indexOf(HEAD_END);
    if (end < 0) {
      if (bytes.length > MAX_OWN_HEAD_BYTES) this.handOff();
      return;
    }
    const head = end <= MAX_OWN_HEAD_BYTES ? readRequestHead(bytes.toString('latin1', 0, end)) : null;
    if (head === null) {
      this.handOff();
      return;
    }
    this.head = head;
    this.held = null;
    this.takeBody(bytes.subarray(end + 4));
  }

  /** Body bytes of the head in hand; the rest is the next request's. */
  private takeBody(bytes: Buffer): void {
    const head = this.head!;
    const take = Math.min(head.bodyLength - this.bodyBytes, bytes.length);
    if (take > 0) {
      this.body.push(take === bytes.length ? bytes : bytes.subarray(0, take));
      this.bodyBytes += take;
    }
    if (take < bytes.length) this.held = bytes.subarray(take);
    if (this.bodyBytes < head.bodyLength) return;
    const body = this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body, this.bodyBytes);
    this.head = null;
    this.body = [];
    this.bodyBytes = 0;
    const res = new SocketResponse(this.socket, head.close, Math.floor(this.hooks.keepAliveMs / 1000), this.answered);
    this.current = res;
    // An answer may take as long as the model does.
    this.socket.setTimeout(0);
    this.hooks.serve(new BufferedRequest(head, body), res);
  }

  /** An answer is whole: the next request, or the end of the connection. */
  private next(res: SocketResponse): void {
    if (this.current !== res || this.closed) return;
    this.current = null;
    if (res.closing || this.ended) {
      this.socket.end();
      return;
    }
    this.socket.setTimeout(this.hooks.keepAliveMs);
    if (this.socket.isPaused()) this.socket.resume();
    this.readHead();
  }

  private handOff(): void {
    const socket = this.socket;
    for (const [event, listener] of this.listening) socket.off(event, listener);
    socket.setTimeout(0);
    socket.pause();
    if (this.held !== null) socket.unshift(this.held);
    this.held = null;
    this.hooks.handOff(socket);
    socket.resume();
  }
}

/**
 * Takes the connections the server accepts from node:http: capped reads plain requests itself and
 * gives node:http the rest (see AgentConnection). Should node:http's own connection handler not be
 * the one expected, it keeps every connection.
 */
export function ownConnections(server: Server, serve: (req: AgentRequest, res: AgentResponse) => void): { owned: boolean; closeAll(): void } {
  const sockets = new Set<Socket>();
  const listeners = server.listeners('connection');
  if (listeners.length !== 1) return { owned: false, closeAll: () => undefined };
  const nodeHttp = listeners[0] as (socket: Socket) => void;
  server.off('connection', nodeHttp);
  const hooks = {
    serve,
    keepAliveMs: server.keepAliveTimeout,
    handOff: (socket: Socket) => {
      sockets.delete(socket);
      nodeHttp.call(server, socket);
    },
  };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    new AgentConnection(socket, hooks);
  });
  return {
    owned: true,
    closeAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}
