// The sender built on shared/ only, against the real server: what it sends is accepted and
// decrypts on the device side, with and without VAPID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createSubscription, createUser } from '../../server/testing/api.js';
import { startTestServer, type TestServer } from '../../server/testing/test-server.js';
import { TestSocket } from '../../server/testing/ws-client.js';
import { decryptPushPayload } from '../../shared/crypto/aes128gcm.js';
import { decodeBase64Url, utf8Decode } from '../../shared/crypto/base64url.js';
import { decryptNotification } from '../../shared/crypto/notification.js';
import {
  deriveSubscriptionKeys,
  generateSecretKey,
  toPushSubscriptionJSON,
} from '../../shared/crypto/subscription-keys.js';
import { generateVapidKeys } from '../../shared/crypto/vapid.js';
import { sendPush } from './send-push.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('send-push', () => {
  it('sends an encrypted, VAPID-signed push that the device decrypts', async () => {
    const vapid = generateVapidKeys();
    const secretKey = generateSecretKey();
    const user = await createUser(server.url);
    const device = await createClient(server.url, user);
    const sub = await createSubscription(server.url, device, {
      applicationServerKey: vapid.publicKey,
    });
    const keys = deriveSubscriptionKeys(secretKey, sub.subscriptionId);
    const socket = await TestSocket.connect(server.url, device.clientToken);

    const result = await sendPush({
      subscription: toPushSubscriptionJSON(sub.endpoint, keys),
      payload: '{"title":"From the CLI"}',
      urgency: 'low',
      vapid: { keys: vapid, subject: 'mailto:ops@example.com' },
    });
    expect(result.status).toBe(201);
    expect(result.location).toContain('/m/');

    const frame = await socket.nextNotification();
    const plain = decryptPushPayload({
      body: decodeBase64Url(frame.data!),
      uaPrivateKey: keys.privateKey,
      uaPublicKey: keys.publicKey,
      authSecret: keys.auth,
    });
    expect(utf8Decode(plain)).toBe('{"title":"From the CLI"}');
    expect(frame.urgency).toBe('low');
    socket.ack(frame.id);
    await socket.close();

    // Without VAPID the restricted subscription refuses it.
    const unsigned = await sendPush({
      subscription: toPushSubscriptionJSON(sub.endpoint, keys),
      payload: 'x',
    });
    expect(unsigned.status).toBe(401);
  });

  it('sends the legacy aesgcm with --encoding aesgcm, which the device decrypts too', async () => {
    const secretKey = generateSecretKey();
    const user = await createUser(server.url);
    const device = await createClient(server.url, user);
    const sub = await createSubscription(server.url, device);
    const keys = deriveSubscriptionKeys(secretKey, sub.subscriptionId);
    const socket = await TestSocket.connect(server.url, device.clientToken);
    const result = await sendPush({
      subscription: toPushSubscriptionJSON(sub.endpoint, keys),
      payload: '{"title":"Legacy"}',
      encoding: 'aesgcm',
    });
    expect(result.status).toBe(201);
    const frame = await socket.nextNotification();
    expect(frame.encoding).toBe('aesgcm');
    expect(utf8Decode(decryptNotification(frame, keys)!)).toBe('{"title":"Legacy"}');
    socket.ack(frame.id);
    await socket.close();
  });
});
