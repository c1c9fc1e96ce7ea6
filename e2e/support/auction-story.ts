// The seed's story, end to end in a real browser with the add-on, the real push server
// (RabbitMQ, memcached) and the auction demo: opt in, sign up, bid with "notify me", Allow,
// leave, get outbid → the add-on receives, decrypts and shows the notification; Block →
// NotAllowedError; Unsubscribe in the popup → the demo's next send gets 410.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuctionDemo, startAuctionDemo } from '../../examples/auction/server.js';
import { startTestServer, type TestServer } from '../../server/testing/test-server.js';
import { ensureExtensionBuilt, ROOT } from './extension-build.js';
import { type BrowserUnderTest, EXTENSION_PAGE_READY, type UiPage } from './ui-page.js';

const SCREENSHOT_DIR = join(ROOT, 'test-results/screenshots');
/** UPDATE_SCREENSHOTS=1 also refreshes the pictures in the docs. */
const DOCS_IMAGES = join(ROOT, 'docs/images');

async function screenshot(page: UiPage, browser: string, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot(join(SCREENSHOT_DIR, `${browser}-${name}.png`));
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_IMAGES, { recursive: true });
    await page.screenshot(join(DOCS_IMAGES, `${browser}-${name}.png`));
  }
}

async function bid(demo: AuctionDemo, bidder: string, amount: number) {
  const response = await fetch(`${demo.url}/api/items/lamp/bids`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ bidder, amount }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { notified: { status: number; endpoint: string } | null };
}

const js = (value: unknown) => JSON.stringify(value);
const subscriptionRow = (origin: string) =>
  `#subscriptions li.subscription[data-origin="${origin}"]`;

export function auctionStory(launch: (extensionDir: string) => Promise<BrowserUnderTest>): void {
  let server: TestServer;
  let demo: AuctionDemo;
  let blockedDemo: AuctionDemo;
  let browser: BrowserUnderTest;
  let subscribedEndpoint: string;
  const username = `bidder${Date.now().toString(36)}`;

  beforeAll(async () => {
    const extensionDir = ensureExtensionBuilt();
    server = await startTestServer();
    const pushServerUrl = server.config.publicUrl;
    demo = await startAuctionDemo({ port: 0, pushServerUrl });
    // A second site (another origin) for the Block answer.
    blockedDemo = await startAuctionDemo({ port: 0, pushServerUrl });
    browser = await launch(extensionDir);
  });

  afterAll(async () => {
    await browser?.close();
    await blockedDemo?.close();
    await demo?.close();
    await server?.close();
  });

  const page = (path: string) => `${browser.extensionBase}${path}`;

  it('is off until the user opts in, so a site gets NotAllowedError without any prompt', async () => {
    const site = await browser.newPage();
    await site.open(`${demo.url}/items/lamp`);
    const name = await site.evaluate<string>(
      "navigator.push.subscribe().then(() => 'subscribed', (e) => e.name)",
    );
    expect(name).toBe('NotAllowedError');
    await site.close();
  });

  it('opts in, chooses the server and signs up, showing the recovery key once', async () => {
    const options = await browser.newPage();
    await options.setViewport(1000, 1100);
    await options.open(page('ui/options.html'), EXTENSION_PAGE_READY);
    await options.fill('#server-url', server.config.publicUrl);
    await options.click('#server-test');
    await options.waitFor(
      "document.getElementById('server-status').textContent.startsWith('Connected')",
    );
    await options.click('#server-save');
    await options.waitFor("document.getElementById('server-status').textContent === 'Saved.'");
    await options.click('#enabled');
    await options.fill('#signup-username', username);
    await options.fill('#signup-password', 'correct horse battery');
    await screenshot(options, browser.name, 'options');
    await options.click('#signup-submit');
    await options.waitFor("!document.getElementById('recovery').hidden");
    const recoveryKey = await options.evaluate<string>(
      "document.getElementById('recovery-key').value",
    );
    expect(recoveryKey).toMatch(/^([a-z2-7]{4}-){12}[a-z2-7]{4}$/);
    expect(await options.evaluate("document.getElementById('recovery-done').disabled")).toBe(true);
    await screenshot(options, browser.name, 'recovery-key');
    await options.click('#recovery-saved');
    await options.click('#recovery-done');
    await options.waitFor("!document.getElementById('signed-in').hidden");
    expect(
      await options.evaluate<string>("document.getElementById('signed-in-text').textContent"),
    ).toContain(username);
    expect(await options.evaluate('document.getElementById("enabled").checked')).toBe(true);
    await options.close();
  });

  it('subscribes from the auction after Allow in the add-on prompt', async () => {
    const site = await browser.newPage();
    await site.open(`${demo.url}/items/lamp`);
    await site.fill('#bidder', 'alice');
    await site.fill('#amount', '20');
    await site.click('#notify');
    const promptOpened = browser.nextPrompt();
    await site.click('button[type=submit]');
    const prompt = await promptOpened;
    await prompt.waitFor(EXTENSION_PAGE_READY);
    expect(await prompt.evaluate<string>("document.getElementById('origin').textContent")).toBe(
      demo.url,
    );
    await prompt.setViewport(460, 320).catch(() => undefined);
    await screenshot(prompt, browser.name, 'prompt');
    await prompt.click('#allow');
    await site.waitFor("document.getElementById('status').dataset.state === 'subscribed'");
    const json = await site.evaluate<{
      endpoint: string;
      expirationTime: null;
      keys: { p256dh: string; auth: string };
    }>('navigator.push.getSubscription().then((s) => s && s.toJSON())');
    expect(json.endpoint.startsWith(`${server.config.publicUrl}/push/`)).toBe(true);
    expect(json.expirationTime).toBeNull();
    expect(json.keys.p256dh).toMatch(/^B[A-Za-z0-9_-]{86}$/);
    expect(json.keys.auth).toMatch(/^[A-Za-z0-9_-]{22}$/);
    subscribedEndpoint = json.endpoint;
    // Asking again does not ask the user again and gives the same subscription.
    expect(
      await site.evaluate<string>(
        `navigator.push.subscribe({ applicationServerKey: document.body.dataset.vapidPublicKey }).then((s) => s.endpoint)`,
      ),
    ).toBe(subscribedEndpoint);
    await site.close();
  });

  it('receives, decrypts and shows the outbid notification with the tab closed', async () => {
    const result = await bid(demo, 'bob', 25);
    expect(result.notified).toMatchObject({ status: 201, endpoint: subscribedEndpoint });
    const popup = await browser.newPage();
    await popup.setViewport(420, 760);
    await popup.open(page('ui/popup.html'), EXTENSION_PAGE_READY);
    await popup.waitFor(
      "[...document.querySelectorAll('#notifications li.notification .title')].some((t) => t.textContent.startsWith(\"You've been outbid\"))",
      60_000,
    );
    const body = await popup.evaluate<string>(
      "document.querySelector('#notifications li.notification .body').textContent",
    );
    expect(body).toContain('25 €');
    await popup.waitFor(`document.querySelector(${js(subscriptionRow(demo.url))}) !== null`);
    await screenshot(popup, browser.name, 'popup');
    await popup.close();
  });

  it('rejects with NotAllowedError after Block, and remembers it', async () => {
    const site = await browser.newPage();
    await site.open(`${blockedDemo.url}/items/lamp`);
    const promptOpened = browser.nextPrompt();
    const pending = site.evaluate<string>(
      "navigator.push.subscribe({ applicationServerKey: document.body.dataset.vapidPublicKey }).then(() => 'subscribed', (e) => e.name)",
    );
    const prompt = await promptOpened;
    await prompt.waitFor(EXTENSION_PAGE_READY);
    expect(await prompt.evaluate<string>("document.getElementById('origin').textContent")).toBe(
      blockedDemo.url,
    );
    await prompt.click('#block');
    expect(await pending).toBe('NotAllowedError');
    // No second prompt: the answer is remembered for the origin.
    expect(
      await site.evaluate<string>(
        "navigator.push.subscribe().then(() => 'subscribed', (e) => e.name)",
      ),
    ).toBe('NotAllowedError');
    expect(await site.evaluate<string>('navigator.push.permissionState()')).toBe('denied');
    await site.close();
  });

  it('unsubscribes in the popup, after which the demo gets 410', async () => {
    const popup = await browser.newPage();
    await popup.open(page('ui/popup.html'), EXTENSION_PAGE_READY);
    const row = subscriptionRow(demo.url);
    await popup.waitFor(`document.querySelector(${js(row)}) !== null`);
    expect(
      await popup.evaluate<string>(
        `document.querySelector(${js(`#sites li.site[data-origin="${blockedDemo.url}"] select`)}).value`,
      ),
    ).toBe('block');
    await popup.click(`${row} button`);
    await popup.waitFor(`document.querySelector(${js(row)}) === null`);
    await popup.close();

    await bid(demo, 'alice', 30);
    const result = await bid(demo, 'bob', 35);
    expect(result.notified).toMatchObject({ status: 410, endpoint: subscribedEndpoint });
    const last = (await (await fetch(`${demo.url}/api/last-send`)).json()) as { status: number };
    expect(last.status).toBe(410);
  });
}

export function describeAuctionStory(
  name: string,
  launch: (extensionDir: string) => Promise<BrowserUnderTest>,
): void {
  describe(name, () => auctionStory(launch));
}
