// Both content codings of docs/protocol.md §4 reach the user, in Chromium and in Firefox ESR:
// a site subscribed through the add-on gets one push encrypted with aes128gcm and one with the
// legacy aesgcm (its salt and key in the Encryption and Crypto-Key headers, with the legacy
// WebPush VAPID scheme), both sent by npm web-push as a site would. The add-on decrypts each,
// shows it as a system notification and hands it to an open page of the site.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { type AuctionDemo, startAuctionDemo } from '../examples/auction/server.js';
import { sendWithWebPush } from '../server/testing/api.js';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';
import type { PushSubscriptionJSON } from '../shared/protocol.js';
import {
  bidWithNotification,
  chooseServerAndOptIn,
  hasNotification,
  js,
  openOptions,
  openPopup,
  signUp,
} from './support/addon-steps.js';
import { launchChromium } from './support/chromium.js';
import { ensureExtensionBuilt } from './support/extension-build.js';
import { launchFirefox } from './support/firefox.js';
import type { BrowserUnderTest } from './support/ui-page.js';

const ENCODINGS = ['aes128gcm', 'aesgcm'] as const;

describe.each([
  ['Chromium', launchChromium],
  ['Firefox ESR', launchFirefox],
])('the add-on in %s decrypts both encodings', (_name, launch) => {
  const vapid = { subject: 'mailto:auction-demo@localhost', ...webpush.generateVAPIDKeys() };
  let server: TestServer;
  let demo: AuctionDemo;
  let browser: BrowserUnderTest;
  let subscription: PushSubscriptionJSON;

  beforeAll(async () => {
    const extensionDir = ensureExtensionBuilt();
    server = await startTestServer();
    demo = await startAuctionDemo({ port: 0, pushServerUrl: server.config.publicUrl, vapid });
    browser = await launch(extensionDir);
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    await server?.close();
  });

  const send = (encoding: (typeof ENCODINGS)[number], payload: unknown) =>
    sendWithWebPush({ subscription, payload: JSON.stringify(payload), vapid, encoding });

  it('signs up and subscribes the site', async () => {
    const options = await openOptions(browser);
    await chooseServerAndOptIn(options, server.config.publicUrl);
    await signUp(options, `enc${Date.now().toString(36)}`, 'two encodings, one key');
    await options.close();
    const site = await bidWithNotification(browser, `${demo.url}/items/lamp`, 'ann', 20, 'allow');
    subscription = await site.evaluate<PushSubscriptionJSON>(
      'navigator.push.getSubscription().then((s) => s.toJSON())',
    );
    await site.close();
    expect(subscription.endpoint.startsWith(`${server.config.publicUrl}/push/`)).toBe(true);
  });

  it.each(ENCODINGS)('shows a notification sent with %s', async (encoding) => {
    const title = `Sent with ${encoding}`;
    const res = await send(encoding, { title, body: `decrypted from ${encoding}` });
    expect(res.status).toBe(201);
    const popup = await openPopup(browser);
    await popup.waitFor(hasNotification(title), 60_000);
    expect(
      await popup.evaluate<string>("document.querySelector('#notifications').textContent"),
    ).toContain(`decrypted from ${encoding}`);
    await popup.close();
  });

  it('hands an aesgcm payload to an open page of the site', async () => {
    const site = await browser.newPage();
    await site.open(`${demo.url}/items/lamp`);
    await site.evaluate(
      "globalThis.received = []; navigator.push.addEventListener('push', (e) => received.push(e.data.json()))",
    );
    // A round trip, so the add-on knows the page listens before the push is sent.
    await site.evaluate('navigator.push.permissionState()');
    const res = await send('aesgcm', { kind: 'page only', n: 42 });
    expect(res.status).toBe(201);
    await site.waitFor(
      `received.some((m) => JSON.stringify(m) === ${js(JSON.stringify({ kind: 'page only', n: 42 }))})`,
      60_000,
    );
    await site.close();
  });
});
