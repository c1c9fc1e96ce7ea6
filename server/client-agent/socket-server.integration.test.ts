// The WebSocket front door against a real server: the per-process connection cap (1013
// beyond it, while POST /push and the heartbeat are still served), hellos taking turns
// (admission control), many devices on few RabbitMQ channels, and what is not a
// WebSocket handshake for /v1/connect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol.js';
import {
  createClient,
  createSiblingClient,
  createSubscription,
  createUser,
  push,
} from '../testing/api.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { TestSocket } from '../testing/ws-client.js';

describe('the connection cap', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { MAX_CONNECTIONS: '3' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('closes sockets beyond MAX_CONNECTIONS with 1013, and still serves pushes and the heartbeat', async () => {
    const user = await createUser(server.url);
    const clients = await Promise.all(
      [1, 2, 3, 4].map((n) => createClient(server.url, user, `d${n}`)),
    );
    const subscription = await createSubscription(server.url, clients[0]!);
    const open = await Promise.all(
      clients.slice(0, 3).map((c) => TestSocket.connect(server.url, c.clientToken)),
    );

    const extra = await TestSocket.open(server.url);
    expect((await extra.closed).code).toBe(CloseCode.TryAgainLater);

    const heartbeat = await fetch(`${server.url}/__heartbeat__`);
    expect(heartbeat.status).toBe(200);
    const res = await push(subscription.endpoint, { TTL: '60' });
    expect(res.status).toBe(201);
    for (const socket of open) await socket.next((f) => f.type === 'notification');

    // A place frees up when a device leaves (connect throws unless the hello is answered).
    await open[0]!.close();
    const later = await TestSocket.connect(server.url, clients[3]!.clientToken);
    await later.close();
    for (const socket of open.slice(1)) await socket.close();
  });
});

describe('hellos and channels', () => {
  let server: TestServer;
  beforeAll(async () => {
    // One identification at a time: the others wait their turn rather than fail. Thirty
    // devices of one user, above the default per-account limit (docs/operations.md).
    server = await startTestServer({ env: { HELLO_CONCURRENCY: '1', ACCOUNT_MAX_CLIENTS: '30' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('identifies a crowd of devices arriving at once, one at a time, on one RabbitMQ channel', async () => {
    const user = await createUser(server.url);
    const first = await createClient(server.url, user, 'd0');
    const clients = [
      first,
      ...(await Promise.all(
        Array.from({ length: 29 }, (_, i) => createSiblingClient(server.url, first, `d${i + 1}`)),
      )),
    ];
    const subscription = await createSubscription(server.url, clients[0]!);
    const sockets = await Promise.all(
      clients.map((c) => TestSocket.connect(server.url, c.clientToken)),
    );
    expect(server.services.broker.consumers.stats()).toMatchObject({
      consumers: 30,
      channels: 1,
      connections: 1,
    });
    const res = await push(subscription.endpoint, { TTL: '60' });
    expect(res.status).toBe(201);
    const ids = await Promise.all(
      sockets.map(async (s) => (await s.next((f) => f.type === 'notification')).type),
    );
    expect(ids).toHaveLength(30);
    for (const s of sockets) await s.close();
  });

  it('answers a plain GET /v1/connect with 426 and an upgrade elsewhere with 404', async () => {
    const res = await fetch(`${server.url}/v1/connect`);
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ error: 'upgrade_required' });
    const elsewhere = await TestSocket.open(`${server.url}/nowhere`).then(
      () => 'opened',
      (err: Error) => err.message,
    );
    expect(elsewhere).toMatch(/404/);
  });
});

describe('failed hellos', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const badRequests = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^push_dos_bad_requests_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
  };

  it('count as bad requests of the address, as a 401 would: guessing tokens gets it boxed', async () => {
    const before = await badRequests();
    expect(await TestSocket.refusedHello(server.url, 'a-token-nobody-has')).toBe(
      CloseCode.Unauthorized,
    );
    const notHello = await TestSocket.open(server.url);
    notHello.send({ type: 'ping' });
    expect((await notHello.closed).code).toBe(CloseCode.Unauthorized);
    const binary = await TestSocket.open(server.url);
    binary.sendBinary(new Uint8Array([1, 2, 3]));
    expect((await binary.closed).code).toBe(CloseCode.MessageTooBig);
    expect((await badRequests()) - before).toBe(3);
  });
});
