import { afterEach, describe, expect, it, vi } from 'vitest';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { CloseCode, type NotificationFrame } from './protocol.js';
import {
  backoffDelay,
  connectUrlFor,
  PushClient,
  type PushClientOptions,
  type PushClientState,
  type WebSocketLike,
} from './push-client.js';

// Both WebSocket implementations must fit WebSocketLike; tsc checks these two lines.
const nodeSocket: (url: string) => WebSocketLike = (url) => new WebSocket(url);
const browserSocket: (url: string) => WebSocketLike = (url) => new globalThis.WebSocket(url);

const TOKEN = 'client-token-123';

/** One connection as the fake server sees it: the frames it received, in order. */
class Connection {
  readonly frames: unknown[] = [];
  readonly connectedAt = Date.now();
  closeCode: number | null = null;
  #read = 0;
  #waiter: (() => void) | null = null;
  #closed: (() => void) | null = null;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: RawData) => {
      this.frames.push(JSON.parse(data.toString()));
      this.#waiter?.();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      this.#closed?.();
    });
  }

  /** The next frame not read yet, waiting for it if needed. */
  async next(timeoutMs = 2000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (this.#read >= this.frames.length) {
      if (Date.now() > deadline) throw new Error('no frame arrived');
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        setTimeout(resolve, 20);
      });
    }
    return this.frames[this.#read++];
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Receives the client's hello and answers it, as the real server does. */
  async handshake(clientId = 'client-1'): Promise<void> {
    expect(await this.next()).toEqual({ type: 'hello', clientToken: TOKEN });
    this.send({ type: 'hello', clientId });
  }

  closed(): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve) => {
      this.#closed = () => resolve(this.closeCode!);
    });
  }
}

/** A WebSocketServer standing in for the real one, handing each new connection to the test. */
class FakeServer {
  readonly connections: Connection[] = [];
  #taken = 0;

  private constructor(
    readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    wss.on('connection', (socket) => this.connections.push(new Connection(socket)));
  }

  static async start(): Promise<FakeServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/connect' });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const address = wss.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected address');
    return new FakeServer(wss, `ws://127.0.0.1:${address.port}/v1/connect`);
  }

  async nextConnection(timeoutMs = 3000): Promise<Connection> {
    await vi.waitFor(() => expect(this.connections.length).toBeGreaterThan(this.#taken), {
      timeout: timeoutMs,
      interval: 5,
    });
    return this.connections[this.#taken++]!;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function notification(id: string): NotificationFrame {
  return {
    type: 'notification',
    id,
    subscriptionId: 'sub-1',
    data: 'AAEC',
    encoding: 'aes128gcm',
    ttl: 60,
    urgency: 'normal',
    receivedAt: new Date().toISOString(),
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: FakeServer;
const clients: PushClient[] = [];

function startClient(overrides: Partial<PushClientOptions> = {}) {
  const received: NotificationFrame[] = [];
  const states: PushClientState[] = [];
  const client = new PushClient({
    url: server.url,
    clientToken: TOKEN,
    createSocket: nodeSocket,
    onNotification: (n) => {
      received.push(n);
    },
    onStateChange: (s) => states.push(s),
    backoff: { initialMs: 20, maxMs: 200 },
    ...overrides,
  });
  clients.push(client);
  client.start();
  return { client, received, states };
}

async function connected(client: PushClient): Promise<void> {
  await vi.waitFor(() => expect(client.state).toBe('connected'), { interval: 5, timeout: 5000 });
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  await server?.close();
});

describe('PushClient', () => {
  it('sends hello first and is connected once the server answers it', async () => {
    server = await FakeServer.start();
    const { client, states } = startClient();
    expect(client.state).toBe('connecting');
    expect(client.clientId).toBeNull();
    const conn = await server.nextConnection();
    await conn.handshake('client-abc');
    await connected(client);
    expect(client.clientId).toBe('client-abc');
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('acks a notification only after the callback has resolved', async () => {
    server = await FakeServer.start();
    const gate = deferred();
    const calls: string[] = [];
    startClient({
      onNotification: async (n) => {
        calls.push(n.id);
        await gate.promise;
      },
    });
    const conn = await server.nextConnection();
    await conn.handshake();
    conn.send(notification('m1'));
    await vi.waitFor(() => expect(calls).toEqual(['m1']), { interval: 5 });
    // A ping is answered at once; had the ack been sent already, it would come before the pong.
    conn.send({ type: 'ping' });
    expect(await conn.next()).toEqual({ type: 'pong' });
    gate.resolve();
    expect(await conn.next()).toEqual({ type: 'ack', id: 'm1' });
  });

  it('passes the frame as received', async () => {
    server = await FakeServer.start();
    const { received } = startClient();
    const conn = await server.nextConnection();
    await conn.handshake();
    const frame = { ...notification('m1'), topic: 'scores', urgency: 'high' as const, ttl: 0 };
    conn.send(frame);
    expect(await conn.next()).toEqual({ type: 'ack', id: 'm1' });
    expect(received).toEqual([frame]);
  });

  it('passes an aesgcm frame with the Encryption and Crypto-Key it needs to be read', async () => {
    server = await FakeServer.start();
    const { received } = startClient();
    const conn = await server.nextConnection();
    await conn.handshake();
    const frame = {
      ...notification('m1'),
      encoding: 'aesgcm' as const,
      encryption: 'salt=lngarbyKfMoi9Z75xYXmkg',
      cryptoKey: 'dh=BNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7;p256ecdsa=BKey',
    };
    conn.send(frame);
    expect(await conn.next()).toEqual({ type: 'ack', id: 'm1' });
    expect(received).toEqual([frame]);
  });

  it('sends no ack when the callback throws, and gets the message again next connection', async () => {
    server = await FakeServer.start();
    let failures = 1;
    const calls: string[] = [];
    startClient({
      onNotification: (n) => {
        calls.push(n.id);
        if (n.id === 'bad' && failures-- > 0) throw new Error('could not show it');
      },
    });
    const conn = await server.nextConnection();
    await conn.handshake();
    conn.send(notification('bad'));
    conn.send(notification('good'));
    // Delivery is in order, so an ack for "bad" would have come first.
    expect(await conn.next()).toEqual({ type: 'ack', id: 'good' });
    expect(calls).toEqual(['bad', 'good']);

    conn.socket.close(1001);
    const again = await server.nextConnection();
    await again.handshake();
    again.send(notification('bad'));
    expect(await again.next()).toEqual({ type: 'ack', id: 'bad' });
    expect(calls).toEqual(['bad', 'good', 'bad']);
  });

  it('acks a duplicate id again without a second callback, also on a later connection', async () => {
    server = await FakeServer.start();
    const { received } = startClient();
    const conn = await server.nextConnection();
    await conn.handshake();
    conn.send(notification('m1'));
    expect(await conn.next()).toEqual({ type: 'ack', id: 'm1' });
    conn.send(notification('m1'));
    expect(await conn.next()).toEqual({ type: 'ack', id: 'm1' });

    conn.socket.terminate();
    const again = await server.nextConnection();
    await again.handshake();
    again.send(notification('m1'));
    again.send(notification('m2'));
    expect(await again.next()).toEqual({ type: 'ack', id: 'm1' });
    expect(await again.next()).toEqual({ type: 'ack', id: 'm2' });
    expect(received.map((n) => n.id)).toEqual(['m1', 'm2']);
  });

  it('does not hand over a redelivery of a message still being handled; acks it on the new socket', async () => {
    server = await FakeServer.start();
    const gate = deferred();
    const calls: string[] = [];
    startClient({
      onNotification: async (n) => {
        calls.push(n.id);
        await gate.promise;
      },
    });
    const conn = await server.nextConnection();
    await conn.handshake();
    conn.send(notification('m1'));
    await vi.waitFor(() => expect(calls).toEqual(['m1']), { interval: 5 });
    conn.socket.terminate();

    const again = await server.nextConnection();
    await again.handshake();
    again.send(notification('m1'));
    again.send({ type: 'ping' });
    expect(await again.next()).toEqual({ type: 'pong' });
    gate.resolve();
    expect(await again.next()).toEqual({ type: 'ack', id: 'm1' });
    expect(calls).toEqual(['m1']);
  });

  it('forgets the oldest acked ids beyond seenIdsLimit', async () => {
    server = await FakeServer.start();
    const { received } = startClient({ seenIdsLimit: 2 });
    const conn = await server.nextConnection();
    await conn.handshake();
    for (const id of ['a', 'b', 'c']) {
      conn.send(notification(id));
      expect(await conn.next()).toEqual({ type: 'ack', id });
    }
    conn.send(notification('c'));
    conn.send(notification('a'));
    expect(await conn.next()).toEqual({ type: 'ack', id: 'c' });
    expect(await conn.next()).toEqual({ type: 'ack', id: 'a' });
    expect(received.map((n) => n.id)).toEqual(['a', 'b', 'c', 'a']);
  });

  it.each([
    ['a normal close (1000)', (c: Connection) => c.socket.close(1000)],
    ['going away (1001)', (c: Connection) => c.socket.close(1001)],
    ['an abnormal close (1006)', (c: Connection) => c.socket.terminate()],
  ])('reconnects after %s', async (_name, drop) => {
    server = await FakeServer.start();
    const { client, states } = startClient();
    const first = await server.nextConnection();
    await first.handshake();
    await connected(client);
    drop(first);
    const second = await server.nextConnection();
    await second.handshake('client-1');
    await connected(client);
    expect(states).toEqual(['connecting', 'connected', 'backoff', 'connecting', 'connected']);
  });

  it('after being replaced (4409) waits the longest backoff, so it does not push the live socket off', async () => {
    server = await FakeServer.start();
    const { client, states } = startClient({ backoff: { initialMs: 10, maxMs: 400 } });
    const first = await server.nextConnection();
    await first.handshake();
    await connected(client);
    const closedAt = Date.now();
    first.socket.close(4409);
    const second = await server.nextConnection(3000);
    // The ordinary first backoff here would be 5–10 ms.
    expect(second.connectedAt - closedAt).toBeGreaterThanOrEqual(350);
    await second.handshake('client-1');
    await connected(client);
    expect(states).toEqual(['connecting', 'connected', 'backoff', 'connecting', 'connected']);
  });

  it('waits longer after each failed attempt, and starts over after a successful hello', async () => {
    server = await FakeServer.start();
    server.wss.on('connection', (socket) => socket.close(1011));
    const { client } = startClient({ backoff: { initialMs: 40, maxMs: 10_000, spreadMs: 100 } });
    for (let i = 0; i < 5; i++) await server.nextConnection();
    const times = server.connections.slice(0, 5).map((c) => c.connectedAt);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Attempt k waits between 20·2^k and 40·2^k ms, so each bound is the next one's floor.
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[0]).toBeLessThan(120);
    expect(gaps[3]).toBeGreaterThanOrEqual(155);
    expect(gaps[2]).toBeGreaterThan(gaps[0]!);
    expect(gaps[3]).toBeGreaterThan(gaps[1]!);

    // After a successful hello the next reconnect is quick again: within the spread window
    // (100 ms here), not after the long backoff the failures had reached.
    server.wss.removeAllListeners('connection');
    server.wss.on('connection', (socket) => server.connections.push(new Connection(socket)));
    const good = await server.nextConnection(3000);
    await good.handshake();
    await connected(client);
    good.socket.terminate();
    const before = Date.now();
    await server.nextConnection();
    expect(Date.now() - before).toBeLessThan(120);
  });

  it('stops reconnecting on 4401 and reports it', async () => {
    server = await FakeServer.start();
    const onUnauthorized = vi.fn();
    const { client, states } = startClient({ onUnauthorized });
    const conn = await server.nextConnection();
    expect(await conn.next()).toEqual({ type: 'hello', clientToken: TOKEN });
    conn.socket.close(4401, 'unknown token');
    await vi.waitFor(() => expect(client.state).toBe('unauthorized'), { interval: 5 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await sleep(300);
    expect(server.connections).toHaveLength(1);
    expect(states).toEqual(['connecting', 'unauthorized']);
  });

  it('stops reconnecting when the client is deleted while connected (4401)', async () => {
    server = await FakeServer.start();
    const onUnauthorized = vi.fn();
    const { client } = startClient({ onUnauthorized });
    const conn = await server.nextConnection();
    await conn.handshake();
    await connected(client);
    conn.socket.close(4401);
    await vi.waitFor(() => expect(onUnauthorized).toHaveBeenCalledTimes(1), { interval: 5 });
    await sleep(200);
    expect(client.state).toBe('unauthorized');
    expect(server.connections).toHaveLength(1);
  });

  it('answers a ping with a pong', async () => {
    server = await FakeServer.start();
    startClient();
    const conn = await server.nextConnection();
    await conn.handshake();
    conn.send({ type: 'ping' });
    expect(await conn.next()).toEqual({ type: 'pong' });
  });

  it('pings every interval and keeps a socket that answers', async () => {
    server = await FakeServer.start();
    const { client } = startClient({ pingIntervalMs: 100 });
    const conn = await server.nextConnection();
    await conn.handshake();
    for (let i = 0; i < 4; i++) {
      expect(await conn.next()).toEqual({ type: 'ping' });
      conn.send({ type: 'pong' });
    }
    expect(client.state).toBe('connected');
    expect(server.connections).toHaveLength(1);
  });

  it('gives up on a socket whose pong does not come within the next interval', async () => {
    server = await FakeServer.start();
    const { client } = startClient({ pingIntervalMs: 60 });
    const conn = await server.nextConnection();
    await conn.handshake();
    expect(await conn.next()).toEqual({ type: 'ping' });
    // No pong: the client closes this socket and opens another.
    expect(await conn.closed()).toBe(4000);
    const again = await server.nextConnection();
    await again.handshake();
    await connected(client);
  });

  it('gives up on a socket that never answers the hello', async () => {
    server = await FakeServer.start();
    startClient({ pingIntervalMs: 60 });
    const conn = await server.nextConnection();
    expect(await conn.next()).toEqual({ type: 'hello', clientToken: TOKEN });
    expect(await conn.closed()).toBe(4000);
    await server.nextConnection();
  });

  it('ignores frames that are not valid server frames', async () => {
    server = await FakeServer.start();
    const { client, received } = startClient();
    const conn = await server.nextConnection();
    await conn.handshake();
    conn.send('not json');
    conn.send({ type: 'surprise' });
    conn.send({ ...notification('x'), urgency: 'whenever' });
    conn.send({ type: 'notification', id: 'y' });
    conn.send({ type: 'ack', id: 'z' });
    conn.socket.send(new Uint8Array([1, 2, 3]));
    conn.send(notification('ok'));
    expect(await conn.next()).toEqual({ type: 'ack', id: 'ok' });
    expect(received.map((n) => n.id)).toEqual(['ok']);
    expect(client.state).toBe('connected');
  });

  it('stop() closes the socket with 1000 and does not reconnect', async () => {
    server = await FakeServer.start();
    const { client, states } = startClient();
    const conn = await server.nextConnection();
    await conn.handshake();
    await connected(client);
    await client.stop();
    expect(client.state).toBe('stopped');
    expect(await conn.closed()).toBe(1000);
    await sleep(150);
    expect(server.connections).toHaveLength(1);
    expect(states.at(-1)).toBe('stopped');
  });

  it('stop() during backoff cancels the reconnect, and start() begins again', async () => {
    server = await FakeServer.start();
    // Stopped the moment it enters backoff: after a lost connection the delay is random from
    // 0 ms, so polling for 'backoff' could miss it on a busy machine.
    let stopping: Promise<void> | null = null;
    const states: string[] = [];
    const { client } = startClient({
      backoff: { initialMs: 200, maxMs: 200 },
      onStateChange: (s) => {
        states.push(s);
        if (s === 'backoff' && !stopping) stopping = client.stop();
      },
    });
    const conn = await server.nextConnection();
    await conn.handshake();
    conn.socket.terminate();
    await vi.waitFor(() => expect(stopping).not.toBeNull(), { interval: 5 });
    await stopping;
    expect(states.slice(-2)).toEqual(['backoff', 'stopped']);
    // Longer than the whole backoff window (200 ms): a reconnect not cancelled would be here.
    await sleep(300);
    expect(server.connections).toHaveLength(1);

    client.start();
    const again = await server.nextConnection();
    await again.handshake();
    await connected(client);
  });

  it('keeps retrying while the server is unreachable', async () => {
    server = await FakeServer.start();
    const url = server.url;
    await server.close();
    const { client, states } = startClient({ url });
    await vi.waitFor(
      () => expect(states.filter((s) => s === 'backoff').length).toBeGreaterThan(2),
      {
        interval: 5,
      },
    );
    expect(client.state).not.toBe('unauthorized');
    server = await FakeServer.start();
  });

  it('needs createSocket where there is no global WebSocket', () => {
    if (typeof globalThis.WebSocket === 'function') {
      expect(typeof browserSocket).toBe('function');
      return;
    }
    expect(
      () => new PushClient({ url: 'ws://x', clientToken: 't', onNotification: () => {} }),
    ).toThrow(/createSocket/);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt with half of it random, up to the cap', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 0)).toBe(4000);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelay(10, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelay(5000, 1000, 60_000, () => 0.5)).toBe(45_000);
  });

  it('never shrinks from one attempt to the next below the cap, whatever the jitter', () => {
    // 1000 · 2^5 = 32 000 is the last ceiling under the 60 000 cap.
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(backoffDelay(attempt + 1, 1000, 60_000, () => 0)).toBeGreaterThanOrEqual(
        backoffDelay(attempt, 1000, 60_000, () => 1),
      );
    }
  });
});

describe('connectUrlFor', () => {
  it.each([
    ['http://localhost:8080', 'ws://localhost:8080/v1/connect'],
    ['https://push.example.net', 'wss://push.example.net/v1/connect'],
    ['https://push.example.net/', 'wss://push.example.net/v1/connect'],
    ['https://example.net/push/', 'wss://example.net/push/v1/connect'],
    ['http://127.0.0.1:9000/base?x=1#y', 'ws://127.0.0.1:9000/base/v1/connect'],
    ['wss://push.example.net', 'wss://push.example.net/v1/connect'],
  ])('%s → %s', (input, expected) => {
    expect(connectUrlFor(input)).toBe(expected);
  });

  it('refuses other schemes and non-URLs', () => {
    expect(() => connectUrlFor('ftp://example.net')).toThrow(TypeError);
    expect(() => connectUrlFor('example.net')).toThrow(TypeError);
  });
});

describe('a node going away: its devices come back spread over the window, not as a herd', () => {
  /** A socket with no network under it: the test plays the server by hand. */
  class SimulatedSocket {
    readyState = 0;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    send(): void {}
    close(): void {}
    open(): void {
      this.readyState = 1;
      this.onopen?.({});
      this.onmessage?.({ data: JSON.stringify({ type: 'hello', clientId: 'c' }) });
    }
    drop(code: number): void {
      this.readyState = 3;
      this.onclose?.({ code, reason: '' });
    }
  }

  it('10,000 devices closed with 1001 reconnect evenly over 0–5 s (measured)', async () => {
    const devices = 10_000;
    const spreadMs = 5000;
    const sockets: SimulatedSocket[] = [];
    const pushClients: PushClient[] = [];
    for (let i = 0; i < devices; i++) {
      const client = new PushClient({
        url: 'ws://push.example/v1/connect',
        clientToken: `t${i}`,
        // The defaults the add-on uses (initial 1 s, max 60 s), hence a 5 s spread.
        createSocket: () => {
          const socket = new SimulatedSocket();
          sockets.push(socket);
          return socket;
        },
        onNotification: () => {},
      });
      pushClients.push(client);
      client.start();
    }
    for (const socket of sockets) socket.open();
    expect(pushClients.every((c) => c.state === 'connected')).toBe(true);

    // The node stops: every socket closes in the same instant. Each client's reconnect is
    // a timer; the delays it is set for are when the devices come back.
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      for (const socket of sockets.splice(0)) socket.drop(CloseCode.GoingAway);
      const delays = timers.mock.calls.map((call) => Number(call[1]));
      expect(delays).toHaveLength(devices);
      const buckets = Array.from({ length: 10 }, () => 0);
      for (const d of delays) buckets[Math.min(9, Math.floor(d / (spreadMs / 10)))]!++;
      const perSecond = Array.from({ length: 5 }, (_, s) => buckets[2 * s]! + buckets[2 * s + 1]!);
      const firstTenMs = delays.filter((d) => d < 10).length;
      console.log(
        `10,000 devices after 1001: reconnects per 500 ms ${buckets.join(' ')}; per second ` +
          `${perSecond.join(' ')}; in the first 10 ms ${firstTenMs}; last at ${Math.round(Math.max(...delays))} ms`,
      );
      // Evenly: each tenth of the window gets a tenth of the devices (±20 %), hardly any
      // comes back at once, and all are back within the window.
      for (const count of buckets) {
        expect(count).toBeGreaterThan((devices / 10) * 0.8);
        expect(count).toBeLessThan((devices / 10) * 1.2);
      }
      expect(firstTenMs).toBeLessThan(devices / 100);
      expect(Math.max(...delays)).toBeLessThanOrEqual(spreadMs);
    } finally {
      timers.mockRestore();
      await Promise.all(pushClients.map((c) => c.stop()));
    }
  });
});
