// PushClient against the real server and RabbitMQ: the client the add-on uses receives,
// acks only after handling, gets unhandled messages again after reconnecting, and stops
// for good when its device is deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  bearer,
  createClient,
  createSubscription,
  createUser,
  push,
} from '../server/testing/api.js';
import { eventually } from '../server/testing/eventually.js';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';
import type { NotificationFrame } from './protocol.js';
import { connectUrlFor, PushClient, type WebSocketLike } from './push-client.js';

let server: TestServer;
/** How the tests wait for the client: often (it reacts in milliseconds), up to 10 s. */
const soon = { timeoutMs: 10_000, intervalMs: 20 };
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const createSocket = (url: string) => new WebSocket(url) as unknown as WebSocketLike;

describe('PushClient with the real server', () => {
  it('receives and acks; a message whose handler failed comes back after a reconnect', async () => {
    const user = await createUser(server.url);
    const device = await createClient(server.url, user);
    const { endpoint } = await createSubscription(server.url, device);
    const seen: NotificationFrame[] = [];
    let failNext = true;
    const client = new PushClient({
      url: connectUrlFor(server.url),
      clientToken: device.clientToken,
      createSocket,
      backoff: { initialMs: 50, maxMs: 200 },
      onNotification: (n) => {
        seen.push(n);
        if (failNext) {
          failNext = false;
          throw new Error('handler failed: must not be acked');
        }
      },
    });
    client.start();
    await eventually(() => client.state === 'connected', soon);
    expect(client.clientId).toBe(device.clientId);
    expect((await push(endpoint, { TTL: '60', Topic: 'one' })).status).toBe(201);
    await eventually(() => seen.length === 1, soon);

    // Reconnect the same client: the unacked message is delivered again with the same id.
    await client.stop();
    client.start();
    await eventually(() => seen.length === 2, { ...soon, timeoutMs: 15_000 });
    expect(seen[1]!.id).toBe(seen[0]!.id);

    // Acked now: a fresh connection gets nothing more.
    await client.stop();
    const later: NotificationFrame[] = [];
    const fresh = new PushClient({
      url: connectUrlFor(server.url),
      clientToken: device.clientToken,
      createSocket,
      onNotification: (n) => {
        later.push(n);
      },
    });
    fresh.start();
    await eventually(() => fresh.state === 'connected', soon);
    await new Promise((r) => setTimeout(r, 500));
    expect(later).toEqual([]);
    await fresh.stop();
  });

  it('stops reconnecting when its device is deleted (4401)', async () => {
    const user = await createUser(server.url);
    const device = await createClient(server.url, user);
    let unauthorized = 0;
    const client = new PushClient({
      url: connectUrlFor(server.url),
      clientToken: device.clientToken,
      createSocket,
      backoff: { initialMs: 50, maxMs: 100 },
      onNotification: () => {},
      onUnauthorized: () => {
        unauthorized++;
      },
    });
    client.start();
    await eventually(() => client.state === 'connected', soon);
    const res = await fetch(`${server.url}/v1/clients/${device.clientId}`, {
      method: 'DELETE',
      headers: { authorization: bearer(device.clientToken) },
    });
    expect(res.status).toBe(204);
    await eventually(() => client.state === 'unauthorized', soon);
    await new Promise((r) => setTimeout(r, 400));
    expect(client.state).toBe('unauthorized');
    expect(unauthorized).toBe(1);
    await client.stop();
  });
});
