// Bounded device queues against the real RabbitMQ (docs/operations.md, Limits):
//   - the amplification run of the security review — one account registering ~100 devices and
//     sending 100 pushes of 4 KB — now stores at most quota × bound;
//   - a queue made before queues were bounded (no arguments) gets the bound from the operator
//     policy `npm run queue-bounds` sets, and keeps the newest messages. The policy is set in a
//     vhost of this test's own, so the queues of other tests never see it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSiblingClient,
  createSubscription,
  createUserWithClient,
  push,
  type TestClient,
} from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { TestSocket } from '../testing/ws-client.js';
import { clientQueue, userExchange } from './names.js';

const run = promisify(execFile);
const AMQP_BASE = 'amqp://guest:guest@127.0.0.1:5672';

/** Sends `n` pushes one after another; returns their message ids. */
async function pushMany(endpoint: string, n: number, body?: Uint8Array<ArrayBuffer>) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await push(
      endpoint,
      body ? { TTL: '2592000', 'Content-Encoding': 'aes128gcm' } : { TTL: '2592000' },
      body,
    );
    expect(res.status).toBe(201);
    ids.push(String(res.headers.get('location')).split('/').pop() ?? '');
  }
  return ids;
}

/** A vhost of the test's own: other test servers on the same RabbitMQ read `push.dropped`
 * too (each dropped message reaches one node), so only here are all the drops this server's. */
async function ownVhost(): Promise<{ url: string; remove: () => Promise<void> }> {
  const vhost = `push-bounds-test-${randomBytes(4).toString('hex')}`;
  await run('rabbitmqctl', ['add_vhost', vhost]);
  await run('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  return {
    url: `${AMQP_BASE}/${vhost}`,
    remove: async () => {
      await run('rabbitmqctl', ['delete_vhost', vhost]);
    },
  };
}

describe('one account trying to fill the broker', () => {
  let server: TestServer;
  let vhost: Awaited<ReturnType<typeof ownVhost>>;
  beforeAll(async () => {
    vhost = await ownVhost();
    server = await startTestServer({
      env: {
        AMQP_URL: vhost.url,
        ACCOUNT_MAX_CLIENTS: '3',
        QUEUE_MAX_MESSAGES: '10',
        QUEUE_MAX_BYTES: '20000',
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await vhost?.remove();
  });

  it('stores at most quota × bound, whatever it sends', async () => {
    const user = await createUserWithClient(server.url, 'amplify');
    const clients: TestClient[] = [user];
    for (let i = 0; i < 98; i++) {
      const more = await createSiblingClient(server.url, user, `d${i}`).catch(() => null);
      if (more) clients.push(more);
    }
    expect(clients).toHaveLength(3);
    const { endpoint } = await createSubscription(server.url, user);

    const depths = () =>
      Promise.all(clients.map(async (c) => (await server.services.broker.queueStats(c.clientId))!));
    // 4 KB pushes: the byte bound (20,000) holds four of them per device.
    await pushMany(endpoint, 100, new Uint8Array(randomBytes(4096)));
    expect((await depths()).map((q) => q.messages)).toEqual([4, 4, 4]);
    // Small pushes: the message bound holds ten; the oldest go first.
    await pushMany(endpoint, 100);
    expect((await depths()).map((q) => q.messages)).toEqual([10, 10, 10]);

    // Dropped, not lost in silence: every node counts what queues drop.
    await eventually(async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const dropped = /^push_queue_dropped_total\{reason="overflow"\} (\d+)/m.exec(text);
      return Number(dropped?.[1] ?? 0) === 3 * (200 - 10);
    });
  });
});

describe('a queue made before queues were bounded', () => {
  let vhost: Awaited<ReturnType<typeof ownVhost>>;
  let amqpUrl: string;
  let server: TestServer;

  beforeAll(async () => {
    vhost = await ownVhost();
    amqpUrl = vhost.url;
    server = await startTestServer({ env: { AMQP_URL: amqpUrl, QUEUE_MAX_MESSAGES: '5' } });
  });
  afterAll(async () => {
    await server?.close();
    await vhost?.remove();
  });

  it('gets the bound from `npm run queue-bounds`, and keeps the newest messages', async () => {
    const user = await createUserWithClient(server.url, 'oldqueue');
    const old = await createSiblingClient(server.url, user, 'from before');
    // What the earlier version declared: a durable queue without arguments.
    const connection = await amqp.connect(amqpUrl);
    const ch = await connection.createChannel();
    await ch.deleteQueue(clientQueue(old.clientId));
    await ch.assertQueue(clientQueue(old.clientId), { durable: true });
    await ch.bindQueue(clientQueue(old.clientId), userExchange(user.userId), '');
    await connection.close();

    const { endpoint } = await createSubscription(server.url, user);
    const first = await pushMany(endpoint, 8);
    const depth = async (c: TestClient) =>
      (await server.services.broker.queueStats(c.clientId))!.messages;
    expect([await depth(user), await depth(old)]).toEqual([5, 8]);

    const tool = await run('npx', ['tsx', 'server/tools/queue-bounds.ts'], {
      env: { ...process.env, AMQP_URL: amqpUrl, QUEUE_MAX_MESSAGES: '5' },
    });
    expect(tool.stdout).toContain('push-client-queue-bounds');
    await eventually(async () => (await depth(old)) === 5);
    const then = await pushMany(endpoint, 3);
    expect([await depth(user), await depth(old)]).toEqual([5, 5]);

    // The device finds the five newest, oldest first.
    const socket = await TestSocket.connect(server.url, old.clientToken);
    const received: string[] = [];
    for (let i = 0; i < 5; i++) {
      const notification = await socket.nextNotification();
      received.push(notification.id);
      socket.ack(notification.id);
    }
    expect(received).toEqual([...first, ...then].slice(-5));
    await socket.close();
  });
});
