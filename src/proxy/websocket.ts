import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { isSubscriptionLogin } from './credentials.js';
import { forwardHeaders, sendUpstream } from './forward.js';
import { admitRequest, type Admitted } from './admit.js';
import { outputBoundHooks, settle } from './generation.js';
import { OutputBound } from './output-bound.js';
import type { ToolVerdict } from '../budget/keeper.js';
import type { Meter, WebSocketSupport } from './providers/types.js';
import type { ProxyDeps, Route } from './proxy-deps.js';
import { parseTarget } from './target.js';
import { RequestBodies } from './request-bodies.js';
import { spliceTopLevel } from './body-splice.js';
import { encodeFrame, MessageAssembler, OP, WsFrameParser, type WsFrame } from './ws-frames.js';
import { lazyRequire } from '../lazy-require.js';

// Loaded with the first WebSocket message, not with every run's start (issue 11).
const crypto = lazyRequire<typeof import('node:crypto')>('node:crypto');

/** Characters per output token when judging a withheld response's length (low, so it errs early). */
const CHARS_PER_TOKEN = 2.5;

/** After the agent hangs up, how long the upstream may take to finish the response in flight. */
const DRAIN_MS = 60_000;

function httpError(socket: Duplex, status: number, text: string): void {
  const reason = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : status === 502 ? 'Bad Gateway' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

function rawHead(res: http.IncomingMessage): string {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Proxies a WebSocket (OpenAI Responses, which Codex tries first): frames pass through both ways;
 * each `response.create` is priced and reserved before it goes on (and clamped or refused like an
 * HTTP request); the usage in each response's terminal event settles it.
 */
export function handleUpgrade(
  deps: ProxyDeps,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  track: (work: Promise<void>) => void,
  own: (upstream: Duplex) => void = () => undefined,
): void {
  socket.on('error', () => socket.destroy());
  const target = parseTarget(deps, req.url ?? '/', 'GET', req.headers);
  if (!target.ok) return httpError(socket, target.status, target.text);
  const ws = target.route.provider.websocket;
  // Only the generation route is metered over WebSocket (OpenAI Responses); another socket (the
  // Realtime API bills audio as it streams) could spend without a request capped can see.
  if (!ws || target.route.provider.classify('POST', target.path) !== 'generate') {
    return httpError(socket, 400, `capped: ${target.path} does not take WebSocket connections through capped (only the Responses API's is metered).\n`);
  }
  const headers = forwardHeaders(req.headers, null);
  headers.connection = 'Upgrade';
  headers.upgrade = req.headers.upgrade ?? 'websocket';
  // No permessage-deflate: the meter must read frames as they pass.
  delete headers['sec-websocket-extensions'];
  const upReq = sendUpstream(target.route.upstream, 'GET', target.pathAndQuery, headers);
  upReq.on('upgrade', (upRes, upSocket, upHead) => {
    own(upSocket); // destroyed with the proxy, which ends the run's sockets when it closes
    socket.write(rawHead(upRes));
    if (isSubscriptionLogin(req.headers)) deps.notify({ type: 'subscription' });
    const session = new WsSession(deps, target.route, ws, target.path, socket, upSocket, req.headers);
    track(session.done);
    if (head.length > 0) session.fromClient(head);
    if (upHead.length > 0) session.fromServer(upHead);
  });
  upReq.on('response', (upRes) => {
    // The upstream declined the upgrade: relay its answer as is.
    socket.write(rawHead(upRes));
    upRes.pipe(socket);
  });
  upReq.on('error', (err) => {
    httpError(
      socket,
      502,
      `capped: could not reach the upstream API at ${target.route.upstream.url.origin} (${(err as NodeJS.ErrnoException).code ?? err.message}).\n`,
    );
  });
  upReq.end();
}

interface InFlight {
  admitted: Admitted;
  meter: Meter;
  blocked: boolean;
  /** A message of the response was read: only its first may lead. */
  opened: boolean;
  /** Keeps the response within the output its reservation pays for. */
  bound: OutputBound;
}

class WsSession {
  private readonly clientFrames = new WsFrameParser();
  private readonly serverFrames = new WsFrameParser();
  private readonly clientMessage = new MessageAssembler();
  private readonly serverMessage = new MessageAssembler();
  /** The connection's latest request bodies: a connection carries one conversation, a subagent's at most beside it. */
  private readonly bodies = new RequestBodies({ entries: 2, bytes: 8 * 1024 * 1024 });
  private pendingRaw: Buffer[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly inFlight: InFlight[] = [];
  private clientOpen = true;
  private bytes = 0;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly deps: ProxyDeps,
    private readonly route: Route,
    private readonly ws: WebSocketSupport,
    private readonly path: string,
    private readonly client: Duplex,
    private readonly server: Duplex,
    /** The upgrade request's headers: the agent's credentials, for exact input counts. */
    private readonly headers: http.IncomingHttpHeaders,
  ) {
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    server.on('data', (chunk: Buffer) => this.fromServer(chunk));
    server.on('error', () => server.destroy());
    // Upgraded sockets allow half-open connections: an agent that exits without a close frame
    // only ends its side, so each end is answered by ending ours, or nothing would ever close.
    client.on('end', () => {
      client.end();
      this.clientClosed();
    });
    server.on('end', () => server.end());
    client.on('close', () => this.clientClosed());
    server.on('close', () => this.serverClosed());
  }

  fromClient(chunk: Buffer): void {
    for (const frame of this.clientFrames.push(chunk)) {
      // Frames are handled strictly in order; a held response.create holds what follows it.
      this.chain = this.chain.then(() => this.clientFrame(frame)).catch((err: unknown) => this.failed(err));
    }
    if (this.clientFrames.error) this.client.destroy();
  }

  /**
   * A bug or a failing dependency while a client frame was handled: the agent gets an error
   * message in the provider's shape, and capped (and the run) go on. Never an unhandled rejection.
   */
  private failed(err: unknown): void {
    const message = `capped: internal proxy error: ${(err as Error).message ?? String(err)}; the request was not sent.`;
    this.deps.notify({ type: 'refused', message });
    this.toClient(Buffer.from(this.ws.errorMessage(message)));
  }

  /**
   * The frame `raw` (parsed as `frame`) carrying `edited` instead of its own request: spliced into
   * its bytes as HTTP bodies are (spliceTopLevel), so a long input is not written out again; a
   * frame the splice cannot read safely is serialized whole.
   */
  private edited(raw: Buffer, frame: Record<string, unknown>, edited: Record<string, unknown>): Buffer {
    const next = this.ws.frameWith(edited);
    return spliceTopLevel(raw, frame, next) ?? Buffer.from(JSON.stringify(next));
  }

  private async clientFrame(frame: WsFrame): Promise<void> {
    if (frame.opcode >= 8) {
      this.server.write(frame.raw);
      return;
    }
    this.pendingRaw.push(frame.raw);
    const message = this.clientMessage.add(frame);
    if (!message) return;
    const raws = this.pendingRaw;
    this.pendingRaw = [];
    // Codex resends its whole input with each response.create: parsed only where it changed.
    const parsed = message.opcode === OP.text ? this.bodies.parse(message.data, this.route.provider.historyKey ?? null) : undefined;
    const read = this.ws.createRequest(parsed);
    if (read.kind !== 'create') {
      for (const raw of raws) this.server.write(raw);
      return;
    }
    let cancel: (() => void) | null = null;
    const onClose = (): void => cancel?.();
    this.client.once('close', onClose);
    const countVia = { upstream: this.route.upstream, headers: this.headers, query: '' };
    const admit = await admitRequest(this.deps, this.route.provider, read.body, this.path, message.data, (c) => (cancel = c), countVia);
    this.client.off('close', onClose);
    if (admit === null) return; // the agent hung up while the request was held
    if (!admit.ok) {
      if (admit.notify) this.deps.notify({ type: 'refused', message: admit.message });
      this.toClient(Buffer.from(this.ws.errorMessage(admit.message)));
      return;
    }
    const bound = new OutputBound(outputBoundHooks(this.deps, this.route.provider, admit.admitted));
    this.inFlight.push({ admitted: admit.admitted, meter: this.route.provider.createMeter({ injectedUsage: false }), blocked: false, opened: false, bound });
    // Unchanged requests keep their exact frames; a changed one (clamped, other model, tools
    // removed) is sent as one new masked frame, the agent's bytes but for the members changed.
    if (admit.body === read.body) for (const raw of raws) this.server.write(raw);
    else this.server.write(encodeFrame(OP.text, this.edited(message.data, parsed!, admit.body), crypto().randomBytes(4)));
    admit.sent();
  }

  /** Frames that arrived while a tool call waits for a person (idle); null when none waits. */
  private held: WsFrame[] | null = null;

  /** A read of several frames is being passed on: after its first, they go in one write. */
  private batching = false;
  private corked = false;

  fromServer(chunk: Buffer): void {
    this.bytes += chunk.length;
    const frames = this.serverFrames.push(chunk);
    // A write each cost a syscall each (a Responses answer is ~20 frames, often in a read or two).
    this.batching = frames.length > 1;
    for (const frame of frames) {
      if (this.held) this.held.push(frame);
      else this.serverFrame(frame);
    }
    this.batching = false;
    if (this.corked) {
      this.corked = false;
      this.client.uncork();
    }
    if (this.serverFrames.error) this.server.destroy();
  }

  /** Sends what is corked now, and goes on corking the rest of the read. */
  private flushClient(): void {
    if (!this.corked) return;
    this.client.uncork();
    this.client.cork();
  }

  /** The frames of a metered text message not yet whole: none goes before the message is read. */
  private fragments: Buffer[] = [];

  private serverFrame(frame: WsFrame): void {
    const current = this.inFlight[0];
    const message = this.serverMessage.add(frame);
    let whole = frame;
    if (current && frame.opcode < 8 && (this.fragments.length > 0 || (!frame.fin && frame.opcode === OP.text))) {
      // A tool call can be anywhere in the message: its fragments go on together, with its last.
      this.fragments.push(frame.raw);
      if (!message) return;
      whole = { fin: true, opcode: OP.text, payload: message.data, raw: Buffer.concat(this.fragments) };
      this.fragments = [];
    }
    if (message && message.opcode === OP.text && current) this.serverText(current, message.data, whole);
    else this.pass(current, whole);
  }

  /** Meters a whole text message (`frame` ends it), gates its tool calls, and passes it on. */
  private serverText(current: InFlight, data: Buffer, frame: WsFrame): void {
    const { meter } = current;
    // The response's first message (response.created) goes on before it is read when its bytes
    // hold no tool call, as a stream's first event does; what its reading decides comes after it.
    // The frame goes whole, so only a message that leads unedited does (Meter.lead).
    const led = !current.opened && !current.blocked && meter.lead?.(data) === data;
    current.opened = true;
    if (led) this.pass(current, frame);
    const before = meter.peek().toolCalls;
    // A plain delta is metered from its bytes (it never ends a response: no type needed).
    const type = meter.rawMessage?.(data) === true ? null : (meter.message?.(data.toString('utf8')) ?? null);
    if (current.blocked && this.overrun(current)) return;
    if (!current.blocked && this.gateTools(current, meter.peek().toolCalls - before, frame, type)) return;
    const cut = current.blocked ? null : current.bound.check(meter.peek());
    if (cut !== null) {
      // Only closing the connection stops the upstream generating: the agent reconnects.
      current.blocked = true;
      this.toClient(Buffer.from(this.ws.errorMessage(cut)));
      this.server.destroy();
      return;
    }
    this.afterMessage(current, type, led ? null : frame);
  }

  /**
   * A withheld response is read on (not forwarded) to its terminal usage, but no further than the
   * output it was reserved for: past that the upstream connection is closed and the response
   * charged by estimate.
   */
  private overrun(current: InFlight): boolean {
    const reading = current.meter.peek();
    const seen = Math.max(reading.usage.output ?? 0, Math.ceil(reading.outputChars / CHARS_PER_TOKEN));
    if (reading.complete || seen <= current.admitted.allowedOut) return false;
    this.server.destroy();
    return true;
  }

  /**
   * Passes the frame on unless withheld (null: it led, and went already), and settles the response
   * at its terminal message (`type`, as the meter read it).
   */
  private afterMessage(current: InFlight, type: string | null, frame: WsFrame | null): void {
    if (!this.ws.isTerminal(type)) return this.pass(current, frame);
    this.inFlight.shift();
    // The agent gets the last event first: settling (and its ledger row) waits on nothing it sends.
    if (!current.blocked) this.pass(current, frame);
    this.flushClient();
    this.settle(current, true);
  }

  /** Sends `frame` (none: only the end below) unless withheld; ends the upstream once the agent left and nothing is in flight. */
  private pass(current: InFlight | undefined, frame: WsFrame | null): void {
    if (frame && !current?.blocked && this.clientOpen) {
      this.client.write(frame.raw);
      // The read's first frame went at once (an answer's first event waits on nothing); the rest
      // are corked until the read is passed on.
      if (this.batching && !this.corked) {
        this.client.cork();
        this.corked = true;
      }
    }
    if (!this.clientOpen && this.inFlight.length === 0) this.server.end();
  }

  private refuse(current: InFlight, message: string): void {
    // The tool call never reaches the agent; the rest of this response is withheld.
    current.blocked = true;
    this.deps.notify({ type: 'refused', message });
    this.toClient(Buffer.from(this.ws.errorMessage(message)));
  }

  /**
   * Asks the budget about `count` new tool calls carried by `frame`. Returns true when one is held
   * (nobody at the keyboard): that frame and the ones after it wait until the answer.
   */
  private gateTools(current: InFlight, count: number, frame: WsFrame, type: string | null): boolean {
    for (let n = 0; n < count; n++) {
      const verdict = this.deps.keeper.toolCall(current.admitted.id, this.deps.now().toISOString(), current.meter.lastTool?.());
      if ('hold' in verdict) {
        this.held = [];
        this.server.pause();
        void verdict.hold.then((v) => this.release(current, v, count - n - 1, frame, type));
        return true;
      }
      if (!verdict.allowed) {
        this.refuse(current, verdict.message);
        return false;
      }
    }
    return false;
  }

  private release(current: InFlight, verdict: ToolVerdict, remaining: number, frame: WsFrame, type: string | null): void {
    const waiting = this.held ?? [];
    this.held = null;
    if (!verdict.allowed) this.refuse(current, verdict.message);
    else if (this.gateTools(current, remaining, frame, type)) {
      this.heldFrames()?.push(...waiting);
      return;
    }
    this.afterMessage(current, type, frame);
    for (let i = 0; i < waiting.length; i++) {
      // A frame processed here may itself be held again: the rest then waits behind it.
      const heldAgain = this.heldFrames();
      if (heldAgain) {
        heldAgain.push(...waiting.slice(i));
        return;
      }
      this.serverFrame(waiting[i]!);
    }
    if (!this.heldFrames()) this.server.resume();
  }

  private heldFrames(): WsFrame[] | null {
    return this.held;
  }

  private toClient(text: Buffer): void {
    if (this.clientOpen) this.client.write(encodeFrame(OP.text, text, null));
  }

  private settle(current: InFlight, finished: boolean): void {
    const reading = current.meter.reading();
    settle(this.deps, this.route.provider, current.admitted, {
      status: 200,
      bytes: this.bytes,
      // Usage read in full is exact even when capped withheld the rest of the response.
      reading: finished ? reading : { ...reading, complete: false },
    });
  }

  private clientClosed(): void {
    if (!this.clientOpen) return;
    this.clientOpen = false;
    if (this.inFlight.length === 0) {
      this.server.end();
      return;
    }
    // Keep reading the upstream so the response in flight is charged by its real usage.
    setTimeout(() => this.server.destroy(), DRAIN_MS).unref();
  }

  private serverClosed(): void {
    for (const current of this.inFlight.splice(0)) this.settle(current, false);
    if (this.clientOpen) this.client.end();
    void this.chain.then(() => this.resolveDone());
  }
}
