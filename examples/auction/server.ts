// Starts the auction demo on a port; used by `npm run demo` (main.ts) and in-process by tests.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createAuctionApp } from './app.js';
import { Auction } from './auction.js';
import {
  createPushSender,
  createVapidKeys,
  type PushSender,
  type VapidKeys,
} from './push-sender.js';

export interface AuctionDemoOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The push server's PUBLIC_URL: only its endpoints are accepted. */
  pushServerUrl?: string;
  /** Generated when not given (see createVapidKeys for the environment variables). */
  vapid?: VapidKeys;
  /** Replaces the real sender (tests of the app itself). */
  send?: PushSender;
}

export interface AuctionDemo {
  url: string;
  vapidPublicKey: string;
  close(): Promise<void>;
}

export async function startAuctionDemo(options: AuctionDemoOptions): Promise<AuctionDemo> {
  const host = options.host ?? '127.0.0.1';
  const vapid = options.vapid ?? createVapidKeys();
  let url = '';
  const app = createAuctionApp({
    auction: new Auction(),
    send: options.send ?? createPushSender(vapid),
    vapidPublicKey: vapid.publicKey,
    siteUrl: () => url,
    ...(options.pushServerUrl ? { pushServerUrl: options.pushServerUrl } : {}),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    vapidPublicKey: vapid.publicKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from a browser would hold close() open.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
