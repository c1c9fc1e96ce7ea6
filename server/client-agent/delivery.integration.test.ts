// Delivery over WebSocket (docs/protocol.md §3) through the real RabbitMQ: send with npm web-push,
// receive, decrypt with the keys §5 derives, ack — and what happens when clients are
// away, do not ack, or are deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptPushPayload } from '../../shared/crypto/aes128gcm.js';
import { decodeBase64Url, encodeBase64Url, utf8Decode } from '../../shared/crypto/base64url.js';
import {
  deriveSubscriptionKeys,
  generateSecretKey,
  toPushSubscriptionJSON,
} from '../../shared/crypto/subscription-keys.js';
import { CloseCode } from '../../shared/protocol.js';
import {
  bearer,
  createClient,
  createSubscription,
  createUser,
  push,
  sendWithWebPush,
} from '../testing/api.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { TestSocket } from '../testing/ws-client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { HELLO_TIMEOUT_MS: '1500' } });
});
afterAll(async () => {
  await server?.close();
});

async function setup() {
  const secretKey = generateSecretKey();
  const user = await createUser(server.url);
  const client = await createClient(server.url, user, 'laptop');
  const subscription = await createSubscription(server.url, client);
  const keys = deriveSubscriptionKeys(secretKey, subscription.subscriptionId);
  const subscriptionJson = toPushSubscriptionJSON(subscription.endpoint, keys);
  const send = (payload: string, extra: { ttl?: number; topic?: string; urgency?: 'high' } = {}) =>
    sendWithWebPush({ subscription: subscriptionJson, payload, ...extra });
  const decrypt = (data: string | undefined) => {
    if (!data) throw new Error('notification without data');
    return utf8Decode(
      decryptPushPayload({
        body: decodeBase64Url(data),
        uaPrivateKey: keys.privateKey,
        uaPublicKey: keys.publicKey,
        authSecret: keys.auth,
      }),
    );
  };
  return { secretKey, user, client, subscription, send, decrypt };
}

describe('WebSocket delivery', () => {
  it('send → receive → decrypt → ack, and the acked message is not delivered again', async () => {
    const { client, subscription, send, decrypt } = await setup();
    const socket = await TestSocket.connect(server.url, client.clientToken);
    const res = await send('{"title":"You have been outbid"}', { urgency: 'high' });
    expect(res.status).toBe(201);
    const messageId = res.headers.get('location')!.split('/').pop();

    const frame = await socket.nextNotification();
    expect(frame).toMatchObject({
      id: messageId,
      subscriptionId: subscription.subscriptionId,
      encoding: 'aes128gcm',
      ttl: 60,
      urgency: 'high',
    });
    expect(Date.parse(frame.receivedAt)).not.toBeNaN();
    expect(decrypt(frame.data)).toBe('{"title":"You have been outbid"}');
    socket.ack(frame.id);
    await socket.close();

    const again = await TestSocket.connect(server.url, client.clientToken);
    expect(await again.quietFor(800)).toBe(true);
    await again.close();
  });

  it('an offline client gets everything stored while it was away, oldest first', async () => {
    const { client, send, decrypt } = await setup();
    for (const text of ['first', 'second', 'third']) expect((await send(text)).status).toBe(201);
    const socket = await TestSocket.connect(server.url, client.clientToken);
    const received: string[] = [];
    for (let i = 0; i < 3; i++) {
      const frame = await socket.nextNotification();
      received.push(decrypt(frame.data));
      socket.ack(frame.id);
    }
    expect(received).toEqual(['first', 'second', 'third']);
    await socket.close();
  });

  it('an unacked message is delivered again on the next connection, with the same id', async () => {
    const { client, send, decrypt } = await setup();
    expect((await send('keep me')).status).toBe(201);
    const first = await TestSocket.connect(server.url, client.clientToken);
    const frame = await first.nextNotification();
    await first.close(); // no ack

    const second = await TestSocket.connect(server.url, client.clientToken);
    const redelivered = await second.nextNotification();
    expect(redelivered.id).toBe(frame.id);
    expect(decrypt(redelivered.data)).toBe('keep me');
    second.ack(redelivered.id);
    await second.close();
  });

  it('every client of the user receives the same push with the same id', async () => {
    const { user, client, send, decrypt } = await setup();
    const phone = await createClient(server.url, user, 'phone');
    const a = await TestSocket.connect(server.url, client.clientToken);
    const b = await TestSocket.connect(server.url, phone.clientToken);
    expect((await send('to both')).status).toBe(201);
    const [fa, fb] = await Promise.all([a.nextNotification(), b.nextNotification()]);
    expect(fa.id).toBe(fb.id);
    expect(decrypt(fa.data)).toBe('to both');
    expect(decrypt(fb.data)).toBe('to both');
    await Promise.all([a.close(), b.close()]);
  });

  it('a device added later also receives pushes to subscriptions made before it', async () => {
    const { user, send, decrypt } = await setup();
    const tablet = await createClient(server.url, user, 'tablet');
    expect((await send('for the newcomer')).status).toBe(201);
    const socket = await TestSocket.connect(server.url, tablet.clientToken);
    expect(decrypt((await socket.nextNotification()).data)).toBe('for the newcomer');
    await socket.close();
  });

  it('Topic: of waiting messages with one topic only the newest is delivered', async () => {
    const { client, send, decrypt } = await setup();
    expect((await send('price 10', { topic: 'auction-42' })).status).toBe(201);
    expect((await send('price 12', { topic: 'auction-42' })).status).toBe(201);
    expect((await send('other topic', { topic: 'auction-7' })).status).toBe(201);
    const socket = await TestSocket.connect(server.url, client.clientToken);
    const first = await socket.nextNotification();
    const second = await socket.nextNotification();
    expect([decrypt(first.data), decrypt(second.data)]).toEqual(['price 12', 'other topic']);
    expect(first.topic).toBe('auction-42');
    socket.ack(first.id);
    socket.ack(second.id);
    expect(await socket.quietFor(500)).toBe(true);
    await socket.close();
  });

  it('a message whose TTL has passed is not delivered, even if delivered before and not acked', async () => {
    const { client, send } = await setup();
    expect((await send('short-lived', { ttl: 2 })).status).toBe(201);
    const first = await TestSocket.connect(server.url, client.clientToken);
    await first.nextNotification();
    await first.close(); // not acked
    await new Promise((r) => setTimeout(r, 2500));
    const second = await TestSocket.connect(server.url, client.clientToken);
    expect(await second.quietFor(800)).toBe(true);
    await second.close();
  });

  it('an empty push arrives without data', async () => {
    const { client, subscription } = await setup();
    const socket = await TestSocket.connect(server.url, client.clientToken);
    expect((await push(subscription.endpoint, { TTL: '30' })).status).toBe(201);
    const frame = await socket.nextNotification();
    expect(frame.data).toBeUndefined();
    expect(frame.encoding).toBeUndefined();
    expect(frame.urgency).toBe('normal');
    socket.ack(frame.id);
    await socket.close();
  });

  it('answers ping with pong', async () => {
    const { client } = await setup();
    const socket = await TestSocket.connect(server.url, client.clientToken);
    socket.send({ type: 'ping' });
    await socket.next((f) => f.type === 'pong');
    await socket.close();
  });
});

describe('WebSocket hello', () => {
  it('closes with 4401 when the first frame is not a hello', async () => {
    const socket = await TestSocket.open(server.url);
    socket.send({ type: 'ack', id: 'x' });
    expect((await socket.closed).code).toBe(CloseCode.Unauthorized);
  });

  it('closes with 4401 on a bad token', async () => {
    const socket = await TestSocket.open(server.url);
    socket.send({ type: 'hello', clientToken: 'not-a-token' });
    expect((await socket.closed).code).toBe(4401);
  });

  it('closes with 4401 on invalid JSON', async () => {
    const socket = await TestSocket.open(server.url);
    socket.send('{not json');
    expect((await socket.closed).code).toBe(4401);
  });

  it('closes with 4401 when no hello arrives in time', async () => {
    const socket = await TestSocket.open(server.url);
    expect((await socket.closed).code).toBe(4401);
  });

  it('answers hello with the client id', async () => {
    const { client } = await setup();
    const socket = await TestSocket.open(server.url);
    socket.send({ type: 'hello', clientToken: client.clientToken });
    const hello = await socket.next((f) => f.type === 'hello');
    expect(hello).toEqual({ type: 'hello', clientId: client.clientId });
    await socket.close();
  });
});

describe('deleting a client', () => {
  it('closes its open socket with 4401, refuses its token at once, and stops its delivery', async () => {
    const { user, client, send } = await setup();
    const other = await createClient(server.url, user, 'other');
    const socket = await TestSocket.connect(server.url, client.clientToken);
    const del = await fetch(`${server.url}/v1/clients/${client.clientId}`, {
      method: 'DELETE',
      headers: { authorization: bearer(other.clientToken) },
    });
    expect(del.status).toBe(204);
    expect((await socket.closed).code).toBe(4401);

    const rest = await fetch(`${server.url}/v1/subscriptions`, {
      headers: { authorization: bearer(client.clientToken) },
    });
    expect(rest.status).toBe(401);
    const retry = await TestSocket.open(server.url);
    retry.send({ type: 'hello', clientToken: client.clientToken });
    expect((await retry.closed).code).toBe(4401);

    // The remaining device still receives.
    const survivor = await TestSocket.connect(server.url, other.clientToken);
    expect((await send('after removal')).status).toBe(201);
    const frame = await survivor.nextNotification();
    survivor.ack(frame.id);
    await survivor.close();
  });

  it('reports connected clients in GET /v1/clients', async () => {
    const { user, client } = await setup();
    const idle = await createClient(server.url, user, 'idle');
    const socket = await TestSocket.connect(server.url, client.clientToken);
    const res = await fetch(`${server.url}/v1/clients`, {
      headers: { authorization: bearer(idle.clientToken) },
    });
    const list = (await res.json()) as Array<{
      clientId: string;
      connected: boolean;
      lastSeenAt: string | null;
    }>;
    expect(list.find((c) => c.clientId === client.clientId)).toMatchObject({ connected: true });
    expect(list.find((c) => c.clientId === idle.clientId)).toMatchObject({
      connected: false,
      lastSeenAt: null,
    });
    expect(list.find((c) => c.clientId === client.clientId)?.lastSeenAt).not.toBeNull();
    await socket.close();
  });
});

describe('subscription keys', () => {
  it('derive the same subscription JSON on every device that knows the secret key', async () => {
    const { secretKey, subscription } = await setup();
    const a = toPushSubscriptionJSON(
      subscription.endpoint,
      deriveSubscriptionKeys(secretKey, subscription.subscriptionId),
    );
    const b = toPushSubscriptionJSON(
      subscription.endpoint,
      deriveSubscriptionKeys(new Uint8Array(secretKey), subscription.subscriptionId),
    );
    expect(a).toEqual(b);
    expect(decodeBase64Url(a.keys.p256dh)).toHaveLength(65);
    expect(encodeBase64Url(decodeBase64Url(a.keys.auth))).toBe(a.keys.auth);
  });
});
