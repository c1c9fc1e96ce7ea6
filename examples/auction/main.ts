// `npm run demo` runs this (through scripts/demo.sh): the auction site on AUCTION_PORT
// (default 3000), sending to the push server at PUSH_SERVER_URL.
import { createVapidKeys } from './push-sender.js';
import { startAuctionDemo } from './server.js';

const port = Number(process.env.AUCTION_PORT ?? 3000);
const pushServerUrl = process.env.PUSH_SERVER_URL ?? 'http://localhost:8080';
const vapid = createVapidKeys();

startAuctionDemo({
  port,
  host: process.env.AUCTION_HOST ?? '127.0.0.1',
  pushServerUrl,
  vapid,
}).then(
  (demo) => {
    console.log(`auction demo: ${demo.url} (sends to ${pushServerUrl})`);
    if (!process.env.VAPID_PRIVATE_KEY) {
      console.log(
        'auction demo: using fresh VAPID keys; subscriptions stop working when the demo restarts unless you set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (npx web-push generate-vapid-keys)',
      );
    }
    const stop = () => void demo.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: unknown) => {
    console.error(`auction demo: cannot start on port ${port}: ${String(err)}`);
    process.exit(1);
  },
);
