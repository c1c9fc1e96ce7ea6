// The POST Office against a real server, RabbitMQ and SQLite: every rule of docs/protocol.md §4,
// with npm web-push as the reference sender.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { deriveSubscriptionKeys } from '../../shared/crypto/subscription-keys.js';
import { ErrorBody } from '../../shared/protocol.js';
import {
  bearer,
  createClient,
  createSubscription,
  createUser,
  push,
  sendWithWebPush,
  userWithSubscription,
} from '../testing/api.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { vapidHeader } from '../testing/vapid.js';
import { TestSocket } from '../testing/ws-client.js';

let server: TestServer;
const vapid = webpush.generateVAPIDKeys();
const otherVapid = webpush.generateVAPIDKeys();
const aes = { TTL: '60', 'Content-Encoding': 'aes128gcm' };

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function expectError(res: Response, status: number, code?: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = ErrorBody.parse(await res.json());
  if (code) expect(body.error).toBe(code);
  expect(body.message.length).toBeGreaterThan(0);
}

/** Keys as the add-on would derive them, so web-push can encrypt to the subscription. */
function subscriptionJson(endpoint: string, subscriptionId: string) {
  const keys = deriveSubscriptionKeys(new Uint8Array(32).fill(7), subscriptionId);
  return {
    endpoint,
    keys: {
      p256dh: Buffer.from(keys.publicKey).toString('base64url'),
      auth: Buffer.from(keys.auth).toString('base64url'),
    },
  };
}

describe('POST /push/{token}', () => {
  it('answers 201 with Location and the applied TTL for an empty push', async () => {
    const { subscription } = await userWithSubscription(server.url);
    const res = await push(subscription.endpoint, { TTL: '120' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(
      new RegExp(`^${server.config.publicUrl}/m/[A-Za-z0-9_-]{22,}$`),
    );
    expect(res.headers.get('ttl')).toBe('120');
  });

  it('caps TTL at 30 days and echoes the applied value', async () => {
    const { subscription } = await userWithSubscription(server.url);
    const res = await push(subscription.endpoint, { TTL: '99999999999999999999' });
    expect(res.status).toBe(201);
    expect(res.headers.get('ttl')).toBe('2592000');
  });

  it('answers 404 for an unknown endpoint', async () => {
    await expectError(
      await push(`${server.url}/push/nosuchtoken`, { TTL: '60' }),
      404,
      'not_found',
    );
  });

  it('answers 410 after the subscription was deleted', async () => {
    const { client, subscription } = await userWithSubscription(server.url);
    const del = await fetch(`${server.url}/v1/subscriptions/${subscription.subscriptionId}`, {
      method: 'DELETE',
      headers: { authorization: bearer(client.clientToken) },
    });
    expect(del.status).toBe(204);
    await expectError(await push(subscription.endpoint, { TTL: '60' }), 410);
  });

  it('answers 413 for a body over 4096 bytes, and accepts exactly 4096', async () => {
    const { subscription } = await userWithSubscription(server.url);
    await expectError(
      await push(subscription.endpoint, aes, new Uint8Array(4097)),
      413,
      'payload_too_large',
    );
    expect((await push(subscription.endpoint, aes, new Uint8Array(4096))).status).toBe(201);
  });

  it('answers 413 for a chunked body (no Content-Length) over 4096 bytes', async () => {
    const { subscription } = await userWithSubscription(server.url);
    const chunked = (size: number) =>
      fetch(subscription.endpoint, {
        method: 'POST',
        headers: aes,
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            for (let sent = 0; sent < size; sent += 1000)
              controller.enqueue(new Uint8Array(Math.min(1000, size - sent)));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
    await expectError(await chunked(6000), 413, 'payload_too_large');
    expect((await chunked(4096)).status).toBe(201);
  });

  it('answers 400 for a missing or non-numeric TTL', async () => {
    const { subscription } = await userWithSubscription(server.url);
    await expectError(await push(subscription.endpoint, {}), 400, 'invalid_ttl');
    for (const ttl of ['-1', '1.5', 'abc', '1e3', '']) {
      await expectError(await push(subscription.endpoint, { TTL: ttl }), 400, 'invalid_ttl');
    }
  });

  it('answers 400 for an unknown Urgency and accepts the four known ones', async () => {
    const { subscription } = await userWithSubscription(server.url);
    await expectError(
      await push(subscription.endpoint, { TTL: '60', Urgency: 'urgent' }),
      400,
      'invalid_urgency',
    );
    for (const urgency of ['very-low', 'low', 'normal', 'high']) {
      expect((await push(subscription.endpoint, { TTL: '60', Urgency: urgency })).status).toBe(201);
    }
  });

  it('answers 400 for a Topic that is not 1–32 base64url characters', async () => {
    const { subscription } = await userWithSubscription(server.url);
    await expectError(
      await push(subscription.endpoint, { TTL: '60', Topic: 'a'.repeat(33) }),
      400,
      'invalid_topic',
    );
    await expectError(
      await push(subscription.endpoint, { TTL: '60', Topic: 'no spaces' }),
      400,
      'invalid_topic',
    );
    expect((await push(subscription.endpoint, { TTL: '60', Topic: 'a'.repeat(32) })).status).toBe(
      201,
    );
  });

  it('answers 415 for a body without aes128gcm, including legacy aesgcm', async () => {
    const { subscription } = await userWithSubscription(server.url);
    await expectError(
      await push(subscription.endpoint, { TTL: '60' }, 'hello'),
      415,
      'unsupported_encoding',
    );
    await expectError(
      await push(subscription.endpoint, { TTL: '60', 'Content-Encoding': 'aesgcm' }, 'hello'),
      415,
      'unsupported_encoding',
    );
  });

  it('checks in order: endpoint before size before headers', async () => {
    // Unknown endpoint wins over an oversized body and a bad TTL.
    await expectError(
      await push(`${server.url}/push/unknown`, { TTL: 'x' }, new Uint8Array(5000)),
      404,
    );
    const { subscription } = await userWithSubscription(server.url);
    // Size wins over bad headers.
    await expectError(await push(subscription.endpoint, { TTL: 'x' }, new Uint8Array(5000)), 413);
    // Headers win over VAPID.
    await expectError(
      await push(subscription.endpoint, { TTL: 'x', Authorization: 'vapid t=bad, k=bad' }),
      400,
    );
  });

  it('accepts a push sent by npm web-push with an encrypted payload', async () => {
    const { subscription } = await userWithSubscription(server.url);
    const res = await sendWithWebPush({
      subscription: subscriptionJson(subscription.endpoint, subscription.subscriptionId),
      payload: 'hello from web-push',
    });
    expect(res.status).toBe(201);
  });
});

describe('VAPID (RFC 8292)', () => {
  const details = {
    subject: 'mailto:ops@example.com',
    publicKey: vapid.publicKey,
    privateKey: vapid.privateKey,
  };

  async function restricted() {
    const { client, subscription } = await userWithSubscription(server.url, {
      applicationServerKey: vapid.publicKey,
    });
    return {
      client,
      subscription,
      json: subscriptionJson(subscription.endpoint, subscription.subscriptionId),
    };
  }

  it('answers 201 for a push signed by the subscription key', async () => {
    const { json } = await restricted();
    expect(
      (await sendWithWebPush({ subscription: json, payload: 'signed', vapid: details })).status,
    ).toBe(201);
  });

  it('answers 401 when a restricted subscription gets no VAPID header', async () => {
    const { subscription } = await restricted();
    await expectError(await push(subscription.endpoint, { TTL: '60' }), 401);
  });

  it('answers 403 when the push is validly signed by another key', async () => {
    const { json } = await restricted();
    const res = await sendWithWebPush({
      subscription: json,
      payload: 'other key',
      vapid: { ...details, publicKey: otherVapid.publicKey, privateKey: otherVapid.privateKey },
    });
    await expectError(res, 403, 'vapid_key_mismatch');
  });

  it('answers 401 for a bad signature, even with another key (401 wins over 403)', async () => {
    const { subscription } = await restricted();
    const headers = webpush.getVapidHeaders(
      server.config.publicOrigin,
      details.subject,
      otherVapid.publicKey,
      otherVapid.privateKey,
      'aes128gcm',
    );
    const [t, k] = String(headers.Authorization)
      .replace(/^vapid /, '')
      .split(', ');
    const jwt = t!.slice(2);
    const tampered = `${jwt.slice(0, -4)}${jwt.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expectError(
      await push(subscription.endpoint, { TTL: '60', Authorization: `vapid t=${tampered}, ${k}` }),
      401,
    );
  });

  it('answers 401 when aud is not the origin of PUBLIC_URL', async () => {
    const { subscription } = await restricted();
    const headers = webpush.getVapidHeaders(
      'https://push.example.com',
      details.subject,
      vapid.publicKey,
      vapid.privateKey,
      'aes128gcm',
    );
    await expectError(
      await push(subscription.endpoint, {
        TTL: '60',
        Authorization: String(headers.Authorization),
      }),
      401,
    );
  });

  it('answers 401 for an expired token and for one more than 24 h ahead', async () => {
    const { subscription } = await restricted();
    const now = Math.floor(Date.now() / 1000);
    const aud = server.config.publicOrigin;
    // The same key and audience with a valid exp is accepted, so only exp makes the difference.
    const ok = vapidHeader(vapid, { aud, exp: now + 3600, sub: details.subject });
    expect((await push(subscription.endpoint, { TTL: '60', Authorization: ok })).status).toBe(201);
    for (const exp of [now - 10, now + 25 * 3600]) {
      const header = vapidHeader(vapid, { aud, exp, sub: details.subject });
      await expectError(
        await push(subscription.endpoint, { TTL: '60', Authorization: header }),
        401,
      );
    }
    const noExp = vapidHeader(vapid, { aud, sub: details.subject });
    await expectError(await push(subscription.endpoint, { TTL: '60', Authorization: noExp }), 401);
  });

  it('on a subscription without a key, accepts no header, and refuses an invalid one', async () => {
    const { subscription } = await userWithSubscription(server.url);
    expect((await push(subscription.endpoint, { TTL: '60' })).status).toBe(201);
    const headers = webpush.getVapidHeaders(
      server.config.publicOrigin,
      details.subject,
      vapid.publicKey,
      vapid.privateKey,
      'aes128gcm',
    );
    expect(
      (
        await push(subscription.endpoint, {
          TTL: '60',
          Authorization: String(headers.Authorization),
        })
      ).status,
    ).toBe(201);
    await expectError(
      await push(subscription.endpoint, { TTL: '60', Authorization: 'vapid t=a.b.c, k=xyz' }),
      401,
    );
  });
});

describe('delivery rules at the POST Office', () => {
  it('TTL 0 reaches only a client connected at that moment', async () => {
    const user = await createUser(server.url);
    const online = await createClient(server.url, user, 'online');
    const offline = await createClient(server.url, user, 'offline');
    const { endpoint } = await createSubscription(server.url, online);
    const socket = await TestSocket.connect(server.url, online.clientToken);
    expect((await push(endpoint, { TTL: '0' })).status).toBe(201);
    const frame = await socket.nextNotification();
    expect(frame.ttl).toBe(0);
    socket.ack(frame.id);
    await socket.close();
    // The client that was offline connects later and must not see it.
    const late = await TestSocket.connect(server.url, offline.clientToken);
    expect(await late.quietFor(1000)).toBe(true);
    await late.close();
  });
});
