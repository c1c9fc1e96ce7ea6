// A full run against a real server — account, device, VAPID subscription, a Web Push
// message sent the way the npm `web-push` library sends it, WebSocket delivery and ack,
// unsubscribe, admin actions, a boxed IP, memcached lost and back — then every log line
// is searched for each secret planted along the way. Also checks that each logging point
// of docs/operations.md was hit.
import { createECDH, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { decryptPushPayload } from '../../shared/crypto/aes128gcm.js';
import { createSubscription, createUserWithClient } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { MemcachedProcess } from '../testing/memcached-process.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { TestSocket } from '../testing/ws-client.js';

const ADMIN_TOKEN = `admin-secret-${randomBytes(16).toString('hex')}`;
let memcached: MemcachedProcess;
let server: TestServer;

beforeAll(async () => {
  memcached = await MemcachedProcess.start();
  server = await startTestServer({
    env: {
      ADMIN_TOKEN,
      MEMCACHED: memcached.address,
      TRUST_PROXY_HOPS: '1',
      DOS_MAX_BAD_REQUESTS: '3',
      DOS_SYNC_INTERVAL_MS: '200',
      LOG_LEVEL: 'trace',
    },
  });
});

afterAll(async () => {
  await server?.close();
  await memcached?.stop();
});

describe('logs of a full run', () => {
  it('name every logging point and contain none of the secrets', async () => {
    const secrets: Record<string, string> = { ADMIN_TOKEN };
    const ids: Record<string, string> = {};
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}/admin/api${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${ADMIN_TOKEN}`,
          'Content-Type': 'application/json',
          'X-Forwarded-For': '192.0.2.200',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    // Account and device.
    const user = await createUserWithClient(server.url, 'logscan');
    secrets.password = user.password;
    secrets.clientToken = user.clientToken;
    ids.userId = user.userId;
    ids.clientId = user.clientId;

    // A subscription with a VAPID key, and the device's keys for it.
    const vapid = webpush.generateVAPIDKeys();
    secrets.vapidPrivateKey = vapid.privateKey;
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const p256dh = ecdh.getPublicKey();
    const auth = randomBytes(16);
    secrets.subscriptionPrivateKey = ecdh.getPrivateKey().toString('base64url');
    secrets.subscriptionPrivateKeyHex = ecdh.getPrivateKey().toString('hex');
    secrets.authSecret = auth.toString('base64url');
    secrets.meta = `sealed-meta-${randomBytes(24).toString('base64url')}`;
    const { subscriptionId, endpoint } = await createSubscription(server.url, user, {
      applicationServerKey: vapid.publicKey,
      meta: secrets.meta,
    });
    ids.subscriptionId = subscriptionId;
    secrets.endpointToken = endpoint.slice(endpoint.lastIndexOf('/') + 1);

    const socket = await TestSocket.connect(server.url, user.clientToken);

    // The push, built by web-push exactly as a web app's server would send it.
    secrets.plaintext = `plaintext ${randomBytes(12).toString('hex')}`;
    const request = webpush.generateRequestDetails(
      { endpoint, keys: { p256dh: p256dh.toString('base64url'), auth: secrets.authSecret } },
      secrets.plaintext,
      {
        TTL: 120,
        urgency: 'high',
        vapidDetails: {
          subject: 'mailto:ops@example.org',
          publicKey: vapid.publicKey,
          privateKey: vapid.privateKey,
        },
      },
    );
    const body = request.body as Buffer;
    secrets.ciphertext = body.toString('base64url');
    secrets.ciphertextBase64 = body.toString('base64');
    secrets.vapidJwt = String(request.headers.Authorization).match(/t=([^,\s]+)/)?.[1] ?? '';
    expect(secrets.vapidJwt.length).toBeGreaterThan(20);
    const pushed = await fetch(endpoint.replace(/^http:\/\/localhost:\d+/, server.url), {
      method: 'POST',
      headers: request.headers as Record<string, string>,
      body: new Uint8Array(body),
    });
    expect(pushed.status).toBe(201);
    ids.messageId = String(pushed.headers.get('location')).split('/').pop() ?? '';

    // Delivered over the WebSocket, decrypted by the device, acked.
    const notification = await socket.nextNotification();
    expect(notification.data).toBe(secrets.ciphertext);
    const plaintext = decryptPushPayload({
      body: Buffer.from(String(notification.data), 'base64url'),
      uaPrivateKey: ecdh.getPrivateKey(),
      uaPublicKey: p256dh,
      authSecret: auth,
    });
    expect(Buffer.from(plaintext).toString('utf8')).toBe(secrets.plaintext);
    socket.ack(notification.id);
    await eventually(() => server.logs.some((l) => l.event === 'push.acked'), { timeoutMs: 8000 });
    await socket.close();

    // A rejected push (bad TTL) and an unsubscribe.
    const rejected = await fetch(endpoint.replace(/^http:\/\/localhost:\d+/, server.url), {
      method: 'POST',
      headers: { ...(request.headers as Record<string, string>), TTL: 'soon' },
      body: new Uint8Array(body),
    });
    expect(rejected.status).toBe(400);
    const unsubscribed = await fetch(`${server.url}/v1/subscriptions/${subscriptionId}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${user.clientToken}` },
    });
    expect(unsubscribed.status).toBe(204);

    // Admin actions, and an IP boxed for bad requests then let out.
    const boxedIp = '203.0.113.99';
    for (let i = 0; i < 4; i++) {
      await fetch(`${server.url}/push/not-a-real-endpoint`, {
        method: 'POST',
        headers: { TTL: '1', 'X-Forwarded-For': boxedIp },
      });
    }
    expect(
      (await fetch(`${server.url}/__heartbeat__`, { headers: { 'X-Forwarded-For': boxedIp } }))
        .status,
    ).toBe(429);
    expect((await admin('DELETE', `/penalty-box/${boxedIp}`)).status).toBe(204);
    expect(
      (await admin('POST', '/penalty-box', { ip: '2001:db8:5ec::77', seconds: 60 })).status,
    ).toBe(201);
    expect((await admin('PUT', '/settings', { maxRequests: 12345 })).status).toBe(200);
    expect((await admin('POST', `/accounts/${user.userId}/disable`)).status).toBe(200);
    expect((await admin('POST', `/accounts/${user.userId}/enable`)).status).toBe(200);
    const second = await createUserWithClient(server.url, 'logscan2');
    secrets.secondPassword = second.password;
    secrets.secondClientToken = second.clientToken;
    expect((await admin('DELETE', `/clients/${second.clientId}`)).status).toBe(204);
    expect((await admin('DELETE', `/accounts/${user.userId}`)).status).toBe(204);

    // memcached lost and back.
    await memcached.stop();
    await eventually(() => server.logs.some((l) => l.event === 'memcached.lost'), {
      timeoutMs: 8000,
    });
    await memcached.start();
    await eventually(() => server.logs.some((l) => l.event === 'memcached.recovered'), {
      timeoutMs: 8000,
    });

    // Every logging point this run went through.
    const events = new Set(server.logs.map((l) => l.event));
    for (const event of [
      'server.started',
      'account.created',
      'client.registered',
      'subscription.created',
      'client.connected',
      'push.accepted',
      'push.delivered',
      'push.acked',
      'push.rejected',
      'subscription.deleted',
      'ip.boxed',
      'ip.released',
      'admin.action',
      'settings.applied',
      'account.disabled',
      'account.enabled',
      'client.revoked',
      'account.deleted',
      'memcached.lost',
      'memcached.recovered',
    ]) {
      expect(events, event).toContain(event);
    }
    expect(server.logs).toContainEqual(
      expect.objectContaining({ event: 'push.accepted', urgency: 'high', size: body.length }),
    );
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        event: 'push.rejected',
        reason: expect.any(String),
        urgency: 'high',
      }),
    );

    // None of the secrets, no full id, no full address, anywhere.
    const everything = server.rawLogs.join('\n');
    for (const [name, secret] of Object.entries({ ...secrets, ...ids, boxedIp })) {
      expect(secret.length, name).toBeGreaterThanOrEqual(8);
      expect(everything.includes(secret), `${name} appears in the logs`).toBe(false);
    }
    expect(everything.includes('2001:db8:5ec::77')).toBe(false);
  });
});
