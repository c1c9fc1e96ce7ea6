// The POST Office against a real server, RabbitMQ and SQLite: every rule of docs/protocol.md §4,
// with npm web-push as the reference sender.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { utf8Decode } from '../../shared/crypto/base64url.js';
import { decryptNotification } from '../../shared/crypto/notification.js';
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

/** Keys as the add-on would derive them for a subscription (the secret key is fixed here). */
const keysOf = (subscriptionId: string) =>
  deriveSubscriptionKeys(new Uint8Array(32).fill(7), subscriptionId);

/** The subscription JSON a web app would get, so web-push can encrypt to it. */
function subscriptionJson(endpoint: string, subscriptionId: string) {
  const keys = keysOf(subscriptionId);
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

  it('answers 415 for a body without a known encoding, naming the two accepted', async () => {
    const { subscription } = await userWithSubscription(server.url);
    const noEncoding: Record<string, string> = { TTL: '60' };
    for (const headers of [noEncoding, { TTL: '60', 'Content-Encoding': 'gzip' }]) {
      const res = await push(subscription.endpoint, headers, 'hello');
      expect(res.headers.get('accept-encoding')).toBe('aes128gcm, aesgcm');
      await expectError(res, 415, 'unsupported_encoding');
    }
  });

  it('answers 400 for an aesgcm body without usable Encryption and Crypto-Key headers', async () => {
    const { subscription } = await userWithSubscription(server.url);
    const salt = 'salt=lngarbyKfMoi9Z75xYXmkg';
    const dh =
      'dh=BNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7CYkDjXsIEc4aqxYaQ1G8BqkXCJ6DPpDrWtdWj_mugHU';
    const legacy = { TTL: '60', 'Content-Encoding': 'aesgcm' };
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'invalid_encryption'],
      [{ 'Crypto-Key': dh }, 'invalid_encryption'],
      [{ Encryption: salt }, 'invalid_crypto_key'],
      [{ Encryption: 'salt=short', 'Crypto-Key': dh }, 'invalid_encryption'],
      [{ Encryption: `${salt};rs=1`, 'Crypto-Key': dh }, 'invalid_encryption'],
      [{ Encryption: salt, 'Crypto-Key': 'dh=BAAA' }, 'invalid_crypto_key'],
      [{ Encryption: salt, 'Crypto-Key': 'p256ecdsa=BKey' }, 'invalid_crypto_key'],
      [{ Encryption: salt, 'Crypto-Key': `${dh}, ${dh}` }, 'invalid_crypto_key'],
      [{ Encryption: salt, 'Crypto-Key': 'dh="unclosed' }, 'invalid_crypto_key'],
    ];
    for (const [headers, code] of cases) {
      await expectError(
        await push(subscription.endpoint, { ...legacy, ...headers }, 'hello'),
        400,
        code,
      );
    }
    // The same headers with a usable pair are accepted.
    const ok = await push(
      subscription.endpoint,
      { ...legacy, Encryption: salt, 'Crypto-Key': dh },
      'hello',
    );
    expect(ok.status).toBe(201);
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

  it('delivers an aesgcm push from npm web-push with its Encryption and Crypto-Key, and it decrypts', async () => {
    const user = await createUser(server.url);
    const device = await createClient(server.url, user);
    const subscription = await createSubscription(server.url, device);
    const socket = await TestSocket.connect(server.url, device.clientToken);
    const res = await sendWithWebPush({
      subscription: subscriptionJson(subscription.endpoint, subscription.subscriptionId),
      payload: 'hello in aesgcm',
      encoding: 'aesgcm',
    });
    expect(res.status).toBe(201);
    const frame = await socket.nextNotification();
    expect(frame.encoding).toBe('aesgcm');
    expect(frame.encryption).toMatch(/^salt=[A-Za-z0-9_-]{22}$/);
    expect(frame.cryptoKey).toMatch(/^dh=B[A-Za-z0-9_-]{86}$/);
    const plain = decryptNotification(frame, keysOf(subscription.subscriptionId));
    expect(utf8Decode(plain!)).toBe('hello in aesgcm');
    socket.ack(frame.id);
    await socket.close();
  });

  it('passes nothing but the body for aes128gcm, even when Encryption and Crypto-Key are sent', async () => {
    const user = await createUser(server.url);
    const device = await createClient(server.url, user);
    const subscription = await createSubscription(server.url, device);
    const socket = await TestSocket.connect(server.url, device.clientToken);
    const res = await push(
      subscription.endpoint,
      { ...aes, Encryption: 'salt=junk', 'Crypto-Key': 'junk' },
      'opaque',
    );
    expect(res.status).toBe(201);
    const frame = await socket.nextNotification();
    expect(frame.encoding).toBe('aes128gcm');
    expect(frame).not.toHaveProperty('encryption');
    expect(frame).not.toHaveProperty('cryptoKey');
    socket.ack(frame.id);
    await socket.close();
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

  it('accepts the legacy WebPush scheme (aesgcm from web-push) signed by the subscription key', async () => {
    const { json } = await restricted();
    const res = await sendWithWebPush({
      subscription: json,
      payload: 'legacy',
      vapid: details,
      encoding: 'aesgcm',
    });
    expect(res.status).toBe(201);
  });

  it('answers 403 for a valid WebPush JWT whose p256ecdsa key is not the subscription key', async () => {
    const { json } = await restricted();
    const res = await sendWithWebPush({
      subscription: json,
      payload: 'other key',
      vapid: { ...details, publicKey: otherVapid.publicKey, privateKey: otherVapid.privateKey },
      encoding: 'aesgcm',
    });
    await expectError(res, 403, 'vapid_key_mismatch');
  });

  it('answers 401 for a WebPush JWT not signed by its p256ecdsa key, or without one', async () => {
    const { subscription } = await restricted();
    const legacy = webpush.getVapidHeaders(
      server.config.publicOrigin,
      details.subject,
      vapid.publicKey,
      vapid.privateKey,
      'aesgcm',
    );
    const authorization = String(legacy.Authorization);
    expect(authorization).toMatch(/^WebPush /);
    // Signed by the subscription key, but Crypto-Key names another: the signature fails.
    for (const cryptoKey of [`p256ecdsa=${otherVapid.publicKey}`, undefined, 'dh=x']) {
      const headers: Record<string, string> = { TTL: '60', Authorization: authorization };
      if (cryptoKey) headers['Crypto-Key'] = cryptoKey;
      await expectError(await push(subscription.endpoint, headers), 401, 'invalid_vapid');
    }
    const ok = await push(subscription.endpoint, {
      TTL: '60',
      Authorization: authorization,
      'Crypto-Key': String(legacy['Crypto-Key']),
    });
    expect(ok.status).toBe(201);
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

describe('PUBLIC_URL_ALIASES', () => {
  let aliased: TestServer;
  beforeAll(async () => {
    aliased = await startTestServer({
      env: { PUBLIC_URL_ALIASES: 'https://old-push.example.net, http://push.example.com:8080/' },
    });
  });
  afterAll(async () => {
    await aliased?.close();
  });

  it('accepts aud equal to PUBLIC_URL or an alias origin, and refuses any other', async () => {
    const { subscription } = await userWithSubscription(aliased.url, {
      applicationServerKey: vapid.publicKey,
    });
    const claims = (aud: string) => ({
      aud,
      exp: Math.floor(Date.now() / 1000) + 3600,
      sub: 'mailto:ops@example.com',
    });
    for (const aud of [
      aliased.config.publicOrigin,
      'https://old-push.example.net',
      'http://push.example.com:8080',
    ]) {
      const res = await push(subscription.endpoint, {
        TTL: '60',
        Authorization: vapidHeader(vapid, claims(aud)),
      });
      expect(res.status, aud).toBe(201);
    }
    for (const aud of ['https://push.example.com:8080', 'https://old-push.example.net/']) {
      await expectError(
        await push(subscription.endpoint, {
          TTL: '60',
          Authorization: vapidHeader(vapid, claims(aud)),
        }),
        401,
        'invalid_vapid',
      );
    }
  });
});
