// The demo against the real push server, without a browser: a client made with the shared
// crypto subscribes with the demo's VAPID key, gets outbid, receives and decrypts the push
// over the WebSocket, and after unsubscribing the demo's next send gets 410.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from '../../server/testing/test-server.js';
import {
  decodeBase64Url,
  decryptPushPayload,
  deriveSubscriptionKeys,
  generateSecretKey,
  toPushSubscriptionJSON,
  utf8Decode,
} from '../../shared/crypto/index.js';
import type { NotificationFrame } from '../../shared/protocol.js';
import { connectUrlFor, PushClient } from '../../shared/push-client.js';
import { type AuctionDemo, startAuctionDemo } from './server.js';

let server: TestServer;
let demo: AuctionDemo;

beforeAll(async () => {
  server = await startTestServer();
  demo = await startAuctionDemo({ port: 0, pushServerUrl: server.config.publicUrl });
});
afterAll(async () => {
  await demo?.close();
  await server?.close();
});

async function api(path: string, init: RequestInit & { token?: string; basic?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  if (init.basic) headers.Authorization = `Basic ${Buffer.from(init.basic).toString('base64')}`;
  const response = await fetch(`${server.url}${path}`, { ...init, headers });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, string>) : {},
  };
}

async function bid(bidder: string, amount: number, subscription?: unknown) {
  const response = await fetch(`${demo.url}/api/items/lamp/bids`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ bidder, amount, subscription }),
  });
  return (await response.json()) as { notified: { status: number } | null };
}

describe('auction demo with the real push server', () => {
  it('delivers the outbid notification end to end, then gets 410 after unsubscribing', async () => {
    const username = `auction${Date.now()}`;
    await api('/v1/accounts', {
      method: 'POST',
      body: JSON.stringify({ username, password: 'auction-pass' }),
    });
    const client = await api('/v1/clients', {
      method: 'POST',
      basic: `${username}:auction-pass`,
      body: JSON.stringify({ name: 'node' }),
    });
    const token = client.body.clientToken!;
    const created = await api('/v1/subscriptions', {
      method: 'POST',
      token,
      body: JSON.stringify({ applicationServerKey: demo.vapidPublicKey }),
    });
    expect(created.status).toBe(201);
    const secretKey = generateSecretKey();
    const keys = deriveSubscriptionKeys(secretKey, created.body.subscriptionId!);
    const subscription = toPushSubscriptionJSON(created.body.endpoint!, keys);

    await bid('alice', 20, subscription);
    expect((await bid('bob', 25)).notified).toMatchObject({ status: 201 });

    const frame = await new Promise<NotificationFrame>((resolve) => {
      const pushClient = new PushClient({
        url: connectUrlFor(server.url),
        clientToken: token,
        createSocket: (url) => new WebSocket(url),
        onNotification: (n) => {
          resolve(n);
          void pushClient.stop();
        },
      });
      pushClient.start();
    });
    const plain = decryptPushPayload({
      body: decodeBase64Url(frame.data!),
      uaPrivateKey: keys.privateKey,
      uaPublicKey: keys.publicKey,
      authSecret: keys.auth,
    });
    expect(JSON.parse(utf8Decode(plain))).toEqual({
      title: "You've been outbid",
      body: expect.stringContaining('25 €'),
      url: `${demo.url}/items/lamp`,
    });

    await api(`/v1/subscriptions/${created.body.subscriptionId}`, { method: 'DELETE', token });
    await bid('alice', 30);
    expect((await bid('bob', 35)).notified).toMatchObject({ status: 410 });
  });
});
