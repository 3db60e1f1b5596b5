import type { Socket } from 'node:net';

/** What one request over the WebSocket got back (times in ms from sending it). */
export interface WsExchange {
  status: number;
  ttfb: number;
  total: number;
  bytes: number;
  chunks: Buffer[];
  /** The terminal message's payload. */
  last: Buffer;
}

/** An open WebSocket with one request in flight at a time. */
export class WsClient {
  readonly socket: Socket;
  /** Sends one text message; resolves at the first server message `isTerminal` accepts. */
  request(text: string, isTerminal: (payload: Buffer) => boolean): Promise<WsExchange>;
  /** Sends a close frame and ends the connection (without waiting for the server's close). */
  close(): void;
}

/** Opens a WebSocket to an http:// URL; resolves when it is open. */
export function connectWebSocket(url: string, headers?: Record<string, string>): Promise<WsClient>;
