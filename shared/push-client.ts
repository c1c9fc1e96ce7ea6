// The client half of docs/protocol.md §3: one WebSocket to the server, kept open for as long as the
// client runs. Used by the add-on's background page (browser WebSocket) and by Node tests
// (the `ws` package), so it only touches the small WebSocket surface both share.
import { type ClientFrame, CloseCode, type NotificationFrame, ServerFrame } from './protocol.js';

export type PushClientState =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'backoff'
  | 'unauthorized'
  | 'stopped';

// Declared through a method so the parameter is checked bivariantly: both the DOM's and ws's
// richer event types then fit the minimal shapes below.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** What PushClient needs of a WebSocket; both the browser's and `ws`'s satisfy it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  /** `data` is a string for text frames; binary frames are ignored. */
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

export interface PushClientOptions {
  /** `ws(s)://host/v1/connect`; see connectUrlFor. */
  url: string;
  clientToken: string;
  /** Defaults to `new globalThis.WebSocket(url)`. */
  createSocket?: (url: string) => WebSocketLike;
  /** The ack is sent only once this resolves; if it throws, the message comes again next connection. */
  onNotification: (n: NotificationFrame) => unknown;
  onStateChange?: (s: PushClientState) => void;
  /** The token was refused (close code 4401): the client stops and will not reconnect. */
  onUnauthorized?: () => void;
  /**
   * Reconnect delays. After a failed attempt: exponential from `initialMs` to `maxMs`.
   * After losing a connection that was up (a server node stopped or died): a delay drawn
   * evenly from 0…`spreadMs` (default: the smaller of `maxMs` and 5 s), so the devices of a
   * node come back to the others spread over that window, not all in the same instant.
   */
  backoff?: { initialMs?: number; maxMs?: number; spreadMs?: number };
  pingIntervalMs?: number;
  /** How many acked ids to remember for dropping redeliveries. */
  seenIdsLimit?: number;
}

const OPEN = 1;
const CLOSED = 3;
/** How long stop() waits for the closing handshake before it stops caring. */
const STOP_TIMEOUT_MS = 2000;
/** Default window over which the devices of a lost connection come back. */
const RECONNECT_SPREAD_MS = 5000;

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential, capped, with "equal jitter"
 * (half fixed, half random) so a server restart does not bring every client back at once, while
 * consecutive delays still never shrink.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** `https://push.example` → `wss://push.example/v1/connect`; keeps a path prefix. */
export function connectUrlFor(serverUrl: string): string {
  const url = new URL(serverUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`server URL must be http(s) or ws(s), got ${url.protocol}`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/connect`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

export class PushClient {
  readonly #url: string;
  readonly #clientToken: string;
  readonly #createSocket: (url: string) => WebSocketLike;
  readonly #onNotification: (n: NotificationFrame) => unknown;
  readonly #onStateChange: ((s: PushClientState) => void) | undefined;
  readonly #onUnauthorized: (() => void) | undefined;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #spreadMs: number;
  readonly #pingIntervalMs: number;
  readonly #seenIdsLimit: number;

  #state: PushClientState = 'idle';
  #clientId: string | null = null;
  #socket: WebSocketLike | null = null;
  #helloSent = false;
  #awaitingPong = false;
  /** Connection attempts since the last successful hello, for the backoff. */
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  /** Recently acked ids in insertion order, so the oldest is evicted first. */
  readonly #acked = new Set<string>();
  /** Ids handed to onNotification and not settled yet; a redelivery of one is not passed on again. */
  readonly #inFlight = new Set<string>();
  /** Notifications are handed over one at a time, oldest first, as the server sends them. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: PushClientOptions) {
    this.#url = options.url;
    this.#clientToken = options.clientToken;
    this.#createSocket = options.createSocket ?? defaultCreateSocket();
    this.#onNotification = options.onNotification;
    this.#onStateChange = options.onStateChange;
    this.#onUnauthorized = options.onUnauthorized;
    this.#initialBackoffMs = options.backoff?.initialMs ?? 1000;
    this.#maxBackoffMs = options.backoff?.maxMs ?? 60_000;
    this.#spreadMs = options.backoff?.spreadMs ?? Math.min(this.#maxBackoffMs, RECONNECT_SPREAD_MS);
    this.#pingIntervalMs = options.pingIntervalMs ?? 25_000;
    this.#seenIdsLimit = options.seenIdsLimit ?? 1000;
  }

  get state(): PushClientState {
    return this.#state;
  }

  /** The id the server named in its hello; kept across reconnects. */
  get clientId(): string | null {
    return this.#clientId;
  }

  /** Connects, and keeps reconnecting until stop() or a 4401. Restarts after either. */
  start(): void {
    if (this.#state !== 'idle' && this.#state !== 'stopped' && this.#state !== 'unauthorized') {
      return;
    }
    this.#attempt = 0;
    this.#connect();
  }

  /** Closes the socket and cancels any reconnect; resolves once the socket has closed. */
  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    this.#clearTimers();
    this.#setState('stopped');
    if (!socket || socket.readyState === CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
      socket.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
      try {
        socket.close(CloseCode.Normal, 'client stopped');
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  #connect(): void {
    let socket: WebSocketLike;
    try {
      socket = this.#createSocket(this.#url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    this.#helloSent = false;
    this.#awaitingPong = false;
    // Every handler first checks that its socket is still the current one, so a socket we gave
    // up on can no longer change anything, however late its events arrive.
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#helloSent = true;
      this.#send(socket, { type: 'hello', clientToken: this.#clientToken });
    };
    socket.onmessage = (event) => {
      if (socket === this.#socket) this.#onMessage(socket, event.data);
    };
    socket.onclose = (event) => {
      if (socket === this.#socket) this.#onClose(event.code);
    };
    // An error is always followed by a close, which is where reconnecting happens.
    socket.onerror = () => {};
    this.#pingTimer = setInterval(() => this.#checkLiveness(socket), this.#pingIntervalMs);
    this.#setState('connecting');
  }

  /**
   * Runs every ping interval. A socket that has not finished its hello by then, or has not
   * answered the previous ping, is treated as dead: on a lost network the close event can take
   * minutes to come, so we stop waiting for it.
   */
  #checkLiveness(socket: WebSocketLike): void {
    if (socket !== this.#socket) return;
    if (this.#state !== 'connected' || this.#awaitingPong) {
      this.#abandon(socket);
      return;
    }
    this.#awaitingPong = true;
    this.#send(socket, { type: 'ping' });
  }

  #abandon(socket: WebSocketLike): void {
    this.#socket = null;
    this.#clearTimers();
    try {
      socket.close(CloseCode.DeadSocket, 'no answer');
    } catch {
      // Already closing or closed; it is forgotten either way.
    }
    this.#scheduleReconnect();
  }

  #onMessage(socket: WebSocketLike, data: unknown): void {
    if (typeof data !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    // Frames this version does not understand are skipped, not fatal, so the server can grow.
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) return;
    const frame = parsed.data;
    switch (frame.type) {
      case 'hello':
        this.#clientId = frame.clientId;
        this.#attempt = 0;
        this.#setState('connected');
        break;
      case 'ping':
        this.#send(socket, { type: 'pong' });
        break;
      case 'pong':
        this.#awaitingPong = false;
        break;
      case 'notification':
        this.#receive(frame);
        break;
    }
  }

  #receive(frame: NotificationFrame): void {
    const { id } = frame;
    if (this.#acked.has(id)) {
      // Our earlier ack was lost with its connection: confirm again, but do not deliver twice.
      this.#sendAck(id);
      return;
    }
    if (this.#inFlight.has(id)) return;
    this.#inFlight.add(id);
    this.#queue = this.#queue.then(() => this.#deliver(frame));
  }

  async #deliver(frame: NotificationFrame): Promise<void> {
    try {
      await this.#onNotification(frame);
    } catch {
      // Not acked, so the server delivers it again on the next connection.
      return;
    } finally {
      this.#inFlight.delete(frame.id);
    }
    this.#remember(frame.id);
    // Sent on whichever socket is current now, which may be newer than the one it came on.
    this.#sendAck(frame.id);
  }

  #remember(id: string): void {
    this.#acked.delete(id);
    this.#acked.add(id);
    while (this.#acked.size > this.#seenIdsLimit) {
      const oldest = this.#acked.values().next();
      if (oldest.done) break;
      this.#acked.delete(oldest.value);
    }
  }

  #sendAck(id: string): void {
    const socket = this.#socket;
    if (socket && this.#helloSent) this.#send(socket, { type: 'ack', id });
  }

  #onClose(code: number): void {
    const wasConnected = this.#state === 'connected';
    this.#socket = null;
    this.#clearTimers();
    if (code === CloseCode.Unauthorized) {
      this.#setState('unauthorized');
      this.#onUnauthorized?.();
      return;
    }
    // Replaced: another socket of this device took over. The newer one is the live one, so
    // coming straight back would only push it off in turn; wait the longest backoff instead.
    if (code === CloseCode.Replaced) {
      this.#scheduleReconnect(this.#maxBackoffMs);
      return;
    }
    // A connection that was up is lost when its server node stops (1001) or dies: every
    // device of that node is here at the same moment. "Full jitter" over the spread window
    // sends them to the remaining nodes evenly over it, rather than in one herd.
    this.#scheduleReconnect(wasConnected ? Math.random() * this.#spreadMs : undefined);
  }

  #scheduleReconnect(fixedDelayMs?: number): void {
    const delay =
      fixedDelayMs ?? backoffDelay(this.#attempt, this.#initialBackoffMs, this.#maxBackoffMs);
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
    this.#setState('backoff');
  }

  #send(socket: WebSocketLike, frame: ClientFrame): void {
    if (socket.readyState !== OPEN) return;
    try {
      socket.send(JSON.stringify(frame));
    } catch {
      // The socket is going away; its close event takes it from here.
    }
  }

  #clearTimers(): void {
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#reconnectTimer = null;
    this.#pingTimer = null;
  }

  #setState(state: PushClientState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#onStateChange?.(state);
  }
}

function defaultCreateSocket(): (url: string) => WebSocketLike {
  const WebSocketImpl = globalThis.WebSocket;
  if (typeof WebSocketImpl !== 'function') {
    throw new TypeError('no global WebSocket here: pass createSocket to PushClient');
  }
  return (url) => new WebSocketImpl(url);
}
