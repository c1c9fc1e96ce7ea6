// A WebSocket client for tests that speaks §3 frame by frame, so tests can check exactly
// what the server sends and when it closes.
import WebSocket from 'ws';
import { type ServerFrame, ServerFrame as ServerFrameSchema } from '../../shared/protocol.js';

export class TestSocket {
  readonly frames: ServerFrame[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('message', (data) => {
      const parsed = ServerFrameSchema.safeParse(JSON.parse(String(data)));
      if (!parsed.success) throw new Error(`server sent an invalid frame: ${String(data)}`);
      // Keep-alive pings are answered here so long tests do not idle out.
      if (parsed.data.type === 'ping') this.send({ type: 'pong' });
      this.frames.push(parsed.data);
      this.wake();
    });
    // Tests assert on the close code; an error is always followed by 'close' above.
    ws.on('error', () => {});
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** `options.ca`: the certificate to trust when serverUrl is https:// (wss://). */
  static async open(serverUrl: string, options: { ca?: string } = {}): Promise<TestSocket> {
    const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/v1/connect`, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestSocket(ws);
  }

  /** Opens a socket and completes the hello; throws unless the server says hello back. */
  static async connect(
    serverUrl: string,
    clientToken: string,
    options: { ca?: string } = {},
  ): Promise<TestSocket> {
    const socket = await TestSocket.open(serverUrl, options);
    socket.send({ type: 'hello', clientToken });
    await socket.next((f) => f.type === 'hello');
    return socket;
  }

  /** Sends a hello the server is expected to refuse; resolves with the close code. */
  static async refusedHello(serverUrl: string, clientToken: string): Promise<number> {
    const socket = await TestSocket.open(serverUrl);
    socket.send({ type: 'hello', clientToken });
    return (await socket.closed).code;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** A binary frame, which no client of the protocol sends. */
  sendBinary(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  /** The first frame (received so far or later) matching `predicate` that was not taken yet. */
  async next<T extends ServerFrame>(
    predicate: (f: ServerFrame) => f is T,
    timeoutMs?: number,
  ): Promise<T>;
  async next(predicate: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  async next(predicate: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex(predicate);
      if (index >= 0) return this.frames.splice(index, 1)[0]!;
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error('socket closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  notifications(): Extract<ServerFrame, { type: 'notification' }>[] {
    return this.frames.filter(
      (f): f is Extract<ServerFrame, { type: 'notification' }> => f.type === 'notification',
    );
  }

  async nextNotification(
    timeoutMs?: number,
  ): Promise<Extract<ServerFrame, { type: 'notification' }>> {
    return this.next(
      (f): f is Extract<ServerFrame, { type: 'notification' }> => f.type === 'notification',
      timeoutMs,
    );
  }

  /** Resolves true when no notification arrives within `ms` (used to show absence). */
  async quietFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.notifications().length === 0;
  }

  ack(id: string): void {
    this.send({ type: 'ack', id });
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close(1000);
    await this.closed;
  }
}
