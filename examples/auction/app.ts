// The auction site as a Hono app: pages, the bid API, and the outbid push.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { z } from 'zod';
import { PushSubscriptionJSON } from '../../shared/protocol.js';
import type { Auction } from './auction.js';
import { indexPage, itemPage, notFoundPage } from './pages.js';
import type { PushSender } from './push-sender.js';

export interface SendRecord {
  at: string;
  itemId: string;
  bidder: string;
  endpoint: string;
  /** The push service's answer: 201 delivered, 404/410 gone, 0 unreachable. */
  status: number;
  body: string;
}

export interface AuctionAppOptions {
  auction: Auction;
  send: PushSender;
  vapidPublicKey: string;
  /** Base of the links in notifications, e.g. http://127.0.0.1:3000. */
  siteUrl: () => string;
  /** When set, only endpoints on this push server are accepted (no requests to anywhere else). */
  pushServerUrl?: string;
}

const BidRequest = z.object({
  bidder: z.string(),
  amount: z.number(),
  subscription: PushSubscriptionJSON.nullish(),
});

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const STATIC_FILES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** An outbid message is worth an hour; a later one for the same item replaces it (Topic). */
const OUTBID_TTL_SECONDS = 3600;

export function createAuctionApp(options: AuctionAppOptions) {
  const { auction, send } = options;
  const sends: SendRecord[] = [];
  const app = new Hono();

  app.get('/', (c) => c.html(indexPage(auction)));
  app.get('/items/:id', (c) => {
    const item = auction.item(c.req.param('id'));
    if (!item) return c.html(notFoundPage(), 404);
    return c.html(itemPage(auction, item, options.vapidPublicKey));
  });
  app.get('/static/:file', (c) => {
    const file = c.req.param('file');
    const type = STATIC_FILES[file];
    if (!type) return c.text('not found', 404);
    return c.body(readFileSync(join(STATIC_DIR, file)), 200, { 'Content-Type': type });
  });

  app.get('/api/config', (c) =>
    c.json({
      vapidPublicKey: options.vapidPublicKey,
      pushServerUrl: options.pushServerUrl ?? null,
    }),
  );
  app.get('/api/items/:id', (c) => {
    const id = c.req.param('id');
    const item = auction.item(id);
    if (!item) return c.json({ error: 'unknown_item', message: 'No such item.' }, 404);
    return c.json({ item, highest: auction.highest(id), minimum: auction.minimumBid(id) });
  });

  app.post('/api/items/:id/bids', async (c) => {
    const itemId = c.req.param('id');
    const parsed = BidRequest.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) {
      return c.json({ error: 'invalid', message: 'Send {bidder, amount, subscription?}.' }, 400);
    }
    const { bidder, amount, subscription } = parsed.data;
    if (subscription && !acceptableEndpoint(subscription.endpoint, options.pushServerUrl)) {
      return c.json({ error: 'invalid', message: 'That push endpoint is not accepted here.' }, 400);
    }
    const result = auction.placeBid(itemId, bidder, amount);
    if (!result.ok) {
      const status =
        result.reason === 'unknown_item' ? 404 : result.reason === 'too_low' ? 409 : 400;
      return c.json({ error: result.reason, message: result.message }, status);
    }
    if (subscription) auction.watch(itemId, bidder, subscription);

    let notified: SendRecord | null = null;
    if (result.outbid) notified = await notifyOutbid(itemId, result.outbid, result.highest.amount);
    return c.json({ highest: result.highest, minimum: auction.minimumBid(itemId), notified }, 201);
  });

  app.get('/api/sends', (c) => c.json(sends));
  app.get('/api/last-send', (c) => {
    const last = sends.at(-1);
    return last ? c.json(last) : c.json({ error: 'none', message: 'Nothing was sent yet.' }, 404);
  });

  async function notifyOutbid(
    itemId: string,
    bidder: string,
    amount: number,
  ): Promise<SendRecord | null> {
    const subscription = auction.watcher(itemId, bidder);
    const item = auction.item(itemId);
    if (!subscription || !item) return null;
    const payload = JSON.stringify({
      title: "You've been outbid",
      body: `Someone bid ${amount} € on “${item.name}”. Bid again?`,
      url: `${options.siteUrl()}/items/${itemId}`,
    });
    const { status, body } = await send(subscription, payload, {
      ttl: OUTBID_TTL_SECONDS,
      urgency: 'high',
      topic: `outbid-${itemId}`.slice(0, 32),
    });
    const record: SendRecord = {
      at: new Date().toISOString(),
      itemId,
      bidder,
      endpoint: subscription.endpoint,
      status,
      body,
    };
    sends.push(record);
    // RFC 8030: 404 and 410 mean the subscription is gone for good.
    if (status === 404 || status === 410) auction.forget(itemId, bidder);
    return record;
  }

  return app;
}

function acceptableEndpoint(endpoint: string, pushServerUrl: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (!pushServerUrl) return true;
  const base = pushServerUrl.replace(/\/+$/, '');
  return endpoint.startsWith(`${base}/`);
}
