// Adding a device by pairing code (docs/protocol.md §6 option A) across browsers, against the real
// server and its relay: Chromium is signed in, Firefox ESR is the new device and shows the
// code, Chromium types it, and both show success. A push from a subscription made in Chromium
// then reaches both, each decrypting it with the shared key; removing the Firefox device from
// Chromium signs Firefox out, and the next push reaches Chromium only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuctionDemo, startAuctionDemo } from '../examples/auction/server.js';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';
import {
  bidWithNotification,
  chooseServerAndOptIn,
  hasNotification,
  openOptions,
  openPopup,
  signUp,
} from './support/addon-steps.js';
import { bid } from './support/auction-story.js';
import { launchChromium } from './support/chromium.js';
import { ensureExtensionBuilt } from './support/extension-build.js';
import { launchFirefox } from './support/firefox.js';
import {
  DEVICE_NAMES,
  DEVICE_ROWS,
  PAIRING_ENDED,
  PAIRING_SUCCEEDED,
  REMOVED_NOTICE,
  removeDevice,
  showPairingCode,
  textOf,
  typePairingCode,
} from './support/pairing-steps.js';
import type { BrowserUnderTest, UiPage } from './support/ui-page.js';

let server: TestServer;
let demo: AuctionDemo;
let chromium: BrowserUnderTest;
let firefox: BrowserUnderTest;
const username = `crossbrowser${Date.now().toString(36)}`;
const password = 'paired across browsers';
const FIREFOX_DEVICE = 'Firefox desktop';
/** Firefox's pairing page, left open while Chromium types its code. */
let firefoxPairing: UiPage;
let code: string;

const NOTIFICATIONS = "document.querySelectorAll('#notifications li.notification')";
const NOTIFICATION_BODY = "document.querySelector('#notifications li.notification .body')";

beforeAll(async () => {
  const extensionDir = ensureExtensionBuilt();
  server = await startTestServer();
  demo = await startAuctionDemo({ port: 0, pushServerUrl: server.config.publicUrl });
  chromium = await launchChromium(extensionDir);
  firefox = await launchFirefox(extensionDir);
});

afterAll(async () => {
  await firefox?.close();
  await chromium?.close();
  await demo?.close();
  await server?.close();
});

describe('adding a Firefox device to a Chromium one with a pairing code', () => {
  it('signs up in Chromium, and Firefox shows a code on its pairing page', async () => {
    const options = await openOptions(chromium);
    await chooseServerAndOptIn(options, server.config.publicUrl);
    await signUp(options, username, password);
    await options.close();

    firefoxPairing = await openOptions(firefox);
    await chooseServerAndOptIn(firefoxPairing, server.config.publicUrl);
    code = await showPairingCode(firefoxPairing);
    expect(
      await firefoxPairing.evaluate<string>("new URLSearchParams(location.search).get('mode')"),
    ).toBe('new');
    expect(await textOf(firefoxPairing, 'progress')).toBe('Waiting for your other device…');
  });

  it('pairs when Chromium types the code: both show success', async () => {
    const chromiumPairing = await openOptions(chromium);
    await typePairingCode(chromiumPairing, code, FIREFOX_DEVICE);
    await chromiumPairing.waitFor(PAIRING_ENDED, 30_000);
    expect(await textOf(chromiumPairing, 'pairing-success')).toBe(
      `Done: “${FIREFOX_DEVICE}” added. It receives your notifications from now on.`,
    );
    await firefoxPairing.waitFor(PAIRING_ENDED, 30_000);
    expect(await firefoxPairing.evaluate(PAIRING_SUCCEEDED)).toBe(true);
    expect(await textOf(firefoxPairing, 'pairing-success')).toBe(
      `Done: this device is signed in as “${username}” and receives your notifications.`,
    );
    await chromiumPairing.close();
    await firefoxPairing.close();

    // Firefox holds the account's key and a token of its own, never the password.
    const stored = await openOptions(firefox);
    expect(await textOf(stored, 'signed-in-text')).toContain(username);
    const all = await stored.evaluate<string>(
      'browser.storage.local.get().then((all) => JSON.stringify(all))',
    );
    expect(all).not.toContain(password);
    await stored.close();

    const popup = await openPopup(chromium);
    await popup.waitFor(`${DEVICE_ROWS}.length === 2`);
    expect(await popup.evaluate<string[]>(DEVICE_NAMES)).toContain(FIREFOX_DEVICE);
    await popup.close();
    const firefoxPopup = await openPopup(firefox);
    await firefoxPopup.waitFor(`${DEVICE_ROWS}.length === 2`);
    expect(await firefoxPopup.evaluate<string[]>(DEVICE_NAMES)).toContain(
      `${FIREFOX_DEVICE} (this device)`,
    );
    await firefoxPopup.close();
  });

  it('delivers a push from a subscription made in Chromium to both, each decrypting it', async () => {
    const site = await bidWithNotification(
      chromium,
      `${demo.url}/items/lamp`,
      'alice',
      20,
      'allow',
    );
    await site.close();
    expect((await bid(demo, 'bob', 25)).notified).toMatchObject({ status: 201 });
    for (const device of [chromium, firefox]) {
      const popup = await openPopup(device);
      await popup.waitFor(hasNotification("You've been outbid"), 30_000);
      // The body is only readable after decryption with the shared secret key.
      expect(await popup.evaluate(`${NOTIFICATION_BODY}.textContent`)).toContain('25 €');
      await popup.close();
    }
  });

  it('removing the Firefox device in Chromium signs Firefox out, and the next push reaches Chromium only', async () => {
    const popup = await openPopup(chromium);
    await removeDevice(popup, FIREFOX_DEVICE);
    expect(await popup.evaluate<string[]>(DEVICE_NAMES)).not.toContain(FIREFOX_DEVICE);
    await popup.close();

    // The server closes Firefox's socket when its client is deleted: it learns at once.
    const firefoxPopup = await openPopup(firefox);
    await firefoxPopup.waitFor(REMOVED_NOTICE, 30_000);
    // Signing out forgot what it had received: the list is empty before the next push.
    expect(await firefoxPopup.evaluate(`${NOTIFICATIONS}.length`)).toBe(0);
    await firefoxPopup.close();
    const firefoxOptions = await openOptions(firefox);
    await firefoxOptions.waitFor("!document.getElementById('signed-out').hidden");
    expect(await firefoxOptions.evaluate("document.getElementById('signed-in').hidden")).toBe(true);
    await firefoxOptions.close();

    await bid(demo, 'alice', 30);
    expect((await bid(demo, 'bob', 35)).notified).toMatchObject({ status: 201 });
    const chromiumPopup = await openPopup(chromium);
    await chromiumPopup.waitFor(hasNotification('35 €'), 30_000);
    await chromiumPopup.close();
    const after = await openPopup(firefox);
    expect(await after.evaluate(`${NOTIFICATIONS}.length`)).toBe(0);
    expect(
      await after.evaluate("browser.storage.local.get('account').then((s) => s.account ?? null)"),
    ).toBeNull();
    await after.close();
  });
});
