import { describe, expect, it } from 'vitest';
import type { PushSubscriptionJSON } from '../../shared/protocol.js';
import { createAuctionApp } from './app.js';
import { Auction } from './auction.js';
import type { PushSender } from './push-sender.js';

const PUSH = 'http://127.0.0.1:8080';
const sub = (token: string): PushSubscriptionJSON => ({
  endpoint: `${PUSH}/push/${token}`,
  expirationTime: null,
  keys: { p256dh: 'BP', auth: 'AA' },
});

function setup(status = 201) {
  const sent: Array<{ endpoint: string; payload: unknown; topic: string | undefined }> = [];
  const send: PushSender = async (subscription, payload, options) => {
    sent.push({
      endpoint: subscription.endpoint,
      payload: JSON.parse(payload),
      topic: options.topic,
    });
    return { status, body: '' };
  };
  const app = createAuctionApp({
    auction: new Auction(),
    send,
    vapidPublicKey: 'BKEY',
    siteUrl: () => 'http://127.0.0.1:3000',
    pushServerUrl: PUSH,
  });
  const bid = (bidder: string, amount: number, subscription?: PushSubscriptionJSON) =>
    app.request('/api/items/lamp/bids', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ bidder, amount, subscription }),
    });
  return { app, sent, bid };
}

describe('auction app', () => {
  it('notifies the outbid bidder only, with title, body and the item page', async () => {
    const { app, sent, bid } = setup();
    expect((await bid('alice', 20, sub('alice'))).status).toBe(201);
    expect(sent).toEqual([]);
    const response = await bid('bob', 25, sub('bob'));
    expect(await response.json()).toMatchObject({ notified: { bidder: 'alice', status: 201 } });
    expect(sent).toEqual([
      {
        endpoint: `${PUSH}/push/alice`,
        payload: {
          title: "You've been outbid",
          body: expect.stringContaining('25 €'),
          url: 'http://127.0.0.1:3000/items/lamp',
        },
        topic: 'outbid-lamp',
      },
    ]);
    expect(await (await app.request('/api/last-send')).json()).toMatchObject({
      bidder: 'alice',
      status: 201,
    });
  });

  it('records a 410 and stops sending to that subscription', async () => {
    const { app, sent, bid } = setup(410);
    await bid('alice', 20, sub('alice'));
    await bid('bob', 25);
    expect(await (await app.request('/api/last-send')).json()).toMatchObject({ status: 410 });
    await bid('alice', 30);
    await bid('bob', 35);
    expect(sent).toHaveLength(1);
  });

  it('refuses endpoints that are not on the configured push server', async () => {
    const { bid } = setup();
    const elsewhere = { ...sub('x'), endpoint: 'http://169.254.169.254/latest' };
    expect((await bid('alice', 20, elsewhere)).status).toBe(400);
  });

  it('answers bad bids with a reason, and 404 before anything was sent', async () => {
    const { app, bid } = setup();
    expect((await app.request('/api/last-send')).status).toBe(404);
    await bid('alice', 20);
    const low = await bid('bob', 20);
    expect(low.status).toBe(409);
    expect(await low.json()).toMatchObject({ error: 'too_low' });
  });

  it('serves the item page with the VAPID key and the highest bid', async () => {
    const { app, bid } = setup();
    await bid('Zoë', 20);
    expect((await bid('<b>x</b>', 30)).status).toBe(400);
    const page = await (await app.request('/items/lamp')).text();
    expect(page).toContain('data-vapid-public-key="BKEY"');
    expect(page).toContain('Highest bid: 20 € by Zoë');
    expect((await app.request('/items/nothing')).status).toBe(404);
    expect((await app.request('/static/app.js')).headers.get('content-type')).toContain(
      'javascript',
    );
    expect((await app.request('/static/..%2Fapp.ts')).status).toBe(404);
  });
});
