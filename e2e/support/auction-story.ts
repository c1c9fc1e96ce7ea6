// The seed's story, end to end in a real browser with the add-on, the real push server
// (RabbitMQ, memcached) and the auction demo: opt in, sign up, bid with "notify me", Allow,
// leave, get outbid → the add-on receives, decrypts and shows the notification; Block →
// NotAllowedError; Unsubscribe in the popup → the demo's next send gets 410.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuctionDemo, startAuctionDemo } from '../../examples/auction/server.js';
import { startTestServer, type TestServer } from '../../server/testing/test-server.js';
import {
  bidWithNotification,
  chooseServerAndOptIn,
  fitPopup,
  hasNotification,
  js,
  type OnStep,
  openOptions,
  openPopup,
  signUp,
  siteDecisionIn,
  subscriptionRow,
  unsubscribeInPopup,
} from './addon-steps.js';
import { ensureExtensionBuilt } from './extension-build.js';
import { saveScreenshot } from './screenshots.js';
import type { BrowserUnderTest } from './ui-page.js';

/** The settings page is photographed fresh, right after install, by the control story. */
function screenshots(browserName: string): OnStep {
  return async (name, page) => {
    if (name !== 'options') await saveScreenshot(page, `${browserName}-${name}`);
  };
}

/** A second bidder, on the demo's HTTP API. */
export async function bid(demo: AuctionDemo, bidder: string, amount: number) {
  const response = await fetch(`${demo.url}/api/items/lamp/bids`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ bidder, amount }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { notified: { status: number; endpoint: string } | null };
}

interface SubscriptionJson {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}

function auctionStory(launch: (extensionDir: string) => Promise<BrowserUnderTest>): void {
  let server: TestServer;
  let demo: AuctionDemo;
  let blockedDemo: AuctionDemo;
  let browser: BrowserUnderTest;
  let endpoint: string;
  let onStep: OnStep;
  const username = `bidder${Date.now().toString(36)}`;

  beforeAll(async () => {
    const extensionDir = ensureExtensionBuilt();
    server = await startTestServer();
    demo = await startAuctionDemo({ port: 0, pushServerUrl: server.config.publicUrl });
    // A second site (another origin) for the Block answer.
    blockedDemo = await startAuctionDemo({ port: 0, pushServerUrl: server.config.publicUrl });
    browser = await launch(extensionDir);
    onStep = screenshots(browser.name);
  });

  afterAll(async () => {
    await browser?.close();
    await blockedDemo?.close();
    await demo?.close();
    await server?.close();
  });

  it('is off until the user opts in: a site gets NotAllowedError, without a prompt', async () => {
    const site = await browser.newPage();
    await site.open(`${demo.url}/items/lamp`);
    expect(
      await site.evaluate("navigator.push.subscribe().then(() => 'subscribed', (e) => e.name)"),
    ).toBe('NotAllowedError');
    expect(await site.evaluate('navigator.push.getSubscription()')).toBeNull();
    await site.close();
  });

  it('opts in, chooses the server and signs up, showing the recovery key', async () => {
    const options = await openOptions(browser);
    await chooseServerAndOptIn(options, server.config.publicUrl);
    const recoveryKey = await signUp(options, username, 'correct horse battery', onStep);
    expect(recoveryKey).toMatch(/^([a-z2-7]{4}-){12}[a-z2-7]{4}$/);
    expect(
      await options.evaluate("document.getElementById('signed-in-text').textContent"),
    ).toContain(username);
    // The password is gone once the device has its token.
    const stored = await options.evaluate<string>(
      'browser.storage.local.get().then((all) => JSON.stringify(all))',
    );
    expect(stored).not.toContain('correct horse battery');
    await options.close();
  });

  it('subscribes from the auction after Allow in the add-on prompt', async () => {
    const site = await bidWithNotification(
      browser,
      `${demo.url}/items/lamp`,
      'alice',
      20,
      'allow',
      onStep,
    );
    expect(await site.evaluate("document.getElementById('status').dataset.state")).toBe(
      'subscribed',
    );
    const json = await site.evaluate<SubscriptionJson>(
      'navigator.push.getSubscription().then((s) => s && s.toJSON())',
    );
    expect(json.endpoint.startsWith(`${server.config.publicUrl}/push/`)).toBe(true);
    expect(json.expirationTime).toBeNull();
    expect(json.keys.p256dh).toMatch(/^B[A-Za-z0-9_-]{86}$/);
    expect(json.keys.auth).toMatch(/^[A-Za-z0-9_-]{22}$/);
    endpoint = json.endpoint;
    // Asking again neither prompts nor makes a second subscription.
    const again =
      'navigator.push.subscribe({ applicationServerKey: document.body.dataset.vapidPublicKey }).then((s) => s.endpoint)';
    expect(await site.evaluate(again)).toBe(endpoint);
    await site.close();
  });

  it('receives, decrypts and shows the outbid notification with the tab closed', async () => {
    const popup = await openPopup(browser);
    // Headless Firefox closes system notifications at once, so watch them being closed too.
    await popup.evaluate(
      'globalThis.closedNotifications = []; (globalThis.browser ?? globalThis.chrome).notifications.onClosed.addListener((id) => closedNotifications.push(id))',
    );
    // Chromium stops an idle service worker. With nobody touching the add-on, its alarm must
    // wake it to reconnect and fetch the message the server kept meanwhile.
    await browser.stopBackground?.();
    expect((await bid(demo, 'bob', 25)).notified).toMatchObject({ status: 201, endpoint });
    await popup.waitFor(hasNotification("You've been outbid"), 90_000);
    expect(
      await popup.evaluate(
        "document.querySelector('#notifications li.notification .body').textContent",
      ),
    ).toContain('25 €');
    const id = await popup.evaluate<string>(
      "document.querySelector('#notifications li.notification').dataset.id",
    );
    await popup.waitFor(
      `(globalThis.browser ?? globalThis.chrome).notifications.getAll().then((all) => ${js(id)} in all || closedNotifications.includes(${js(id)}))`,
    );
    await popup.close();
    const fresh = await openPopup(browser);
    await fresh.waitFor(`document.querySelector(${js(subscriptionRow(demo.url))}) !== null`);
    await fitPopup(fresh);
    await onStep('popup', fresh);
    await fresh.close();
  });

  it('delivers push events to an open page of the site', async () => {
    const site = await browser.newPage();
    await site.open(`${demo.url}/items/lamp`);
    // The page listens for `push` (auction app.js); a round trip makes sure the add-on knows.
    await site.evaluate('navigator.push.permissionState()');
    await bid(demo, 'alice', 30);
    expect((await bid(demo, 'bob', 35)).notified).toMatchObject({ status: 201 });
    await site.waitFor(
      "[...document.querySelectorAll('#live li')].some((li) => li.textContent.includes('35 €'))",
      60_000,
    );
    await site.close();
  });

  it('rejects with NotAllowedError after Block, and remembers the answer', async () => {
    const site = await bidWithNotification(
      browser,
      `${blockedDemo.url}/items/lamp`,
      'carol',
      20,
      'block',
    );
    expect(await site.evaluate('document.body.dataset.pushError')).toBe('NotAllowedError');
    // No second prompt: the answer holds for the origin.
    expect(
      await site.evaluate("navigator.push.subscribe().then(() => 'subscribed', (e) => e.name)"),
    ).toBe('NotAllowedError');
    expect(await site.evaluate('navigator.push.permissionState()')).toBe('denied');
    await site.close();
  });

  it('unsubscribes in the popup, after which the demo gets 410', async () => {
    const options = await openOptions(browser);
    expect(await siteDecisionIn(options, blockedDemo.url)).toBe('block');
    await options.close();
    const popup = await openPopup(browser);
    expect(await unsubscribeInPopup(popup, [demo.url])).toMatch(/^Unsubscribed from /);
    await popup.waitFor(`document.querySelector(${js(subscriptionRow(demo.url))}) === null`);
    await popup.close();

    await bid(demo, 'alice', 40);
    expect((await bid(demo, 'bob', 45)).notified).toMatchObject({ status: 410, endpoint });
    const last = (await (await fetch(`${demo.url}/api/last-send`)).json()) as { status: number };
    expect(last.status).toBe(410);
  });

  it('signs out: this device leaves the account, and sites get NotAllowedError again', async () => {
    const options = await openOptions(browser);
    await options.click('#signout');
    await options.waitFor("!document.getElementById('signed-out').hidden");
    expect(server.logs.some((line) => line.event === 'client.revoked')).toBe(true);
    // Nothing of the account is left in the add-on's storage.
    const stored = await options.evaluate<string>(
      'browser.storage.local.get().then((all) => JSON.stringify(all))',
    );
    expect(stored).not.toContain(username);
    expect(stored).not.toContain('secretKey');
    await options.close();
    const site = await browser.newPage();
    await site.open(`${demo.url}/items/lamp`);
    expect(
      await site.evaluate("navigator.push.subscribe().then(() => 'subscribed', (e) => e.name)"),
    ).toBe('NotAllowedError');
    await site.close();
  });
}

export function describeAuctionStory(
  name: string,
  launch: (extensionDir: string) => Promise<BrowserUnderTest>,
): void {
  describe(name, () => auctionStory(launch));
}
