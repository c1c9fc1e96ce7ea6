// Adding a device by pairing code (docs/protocol.md §6 option A), in two Chromium profiles against the
// real server and its relay: the new device shows a code, the signed-in one types it, EC-J-PAKE
// runs through the relay, and the new device signs in with a client registered for it — no
// password or recovery key typed. Both then receive and decrypt the same push; removing the
// new device stops its delivery at once; a wrong code fails on both sides and adds nothing; a
// background stopped mid-pairing is reported as such, and a signed-in one stopped after it
// added the new device deletes it again when it starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuctionDemo, startAuctionDemo } from '../examples/auction/server.js';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';
import {
  bidWithNotification,
  chooseServer,
  chooseServerAndOptIn,
  hasNotification,
  openOptions,
  openPopup,
  signUp,
} from './support/addon-steps.js';
import { bid } from './support/auction-story.js';
import { launchChromium } from './support/chromium.js';
import { ensureExtensionBuilt } from './support/extension-build.js';
import {
  CODE_PATTERN,
  DEVICE_NAMES,
  DEVICE_ROWS,
  holdDoneProxy,
  mistyped,
  PAIRING_ENDED,
  PAIRING_FAILED,
  PAIRING_SUCCEEDED,
  REMOVED_NOTICE,
  showPairingCode,
  textOf,
  typePairingCode,
} from './support/pairing-steps.js';
import { saveScreenshot } from './support/screenshots.js';
import type { BrowserUnderTest, UiPage } from './support/ui-page.js';

let server: TestServer;
let demo: AuctionDemo;
let laptop: BrowserUnderTest;
let phone: BrowserUnderTest;
const username = `pairing${Date.now().toString(36)}`;
const password = 'paired, not typed';
/** The phone's pairing page, left open while the laptop types its code. */
let phonePairing: UiPage;
let code: string;
/** The first device's name in the device list (its default, from the browser). */
let laptopName: string;

beforeAll(async () => {
  const extensionDir = ensureExtensionBuilt();
  server = await startTestServer();
  demo = await startAuctionDemo({ port: 0, pushServerUrl: server.config.publicUrl });
  laptop = await launchChromium(extensionDir);
  phone = await launchChromium(extensionDir);
});

afterAll(async () => {
  await phone?.close();
  await laptop?.close();
  await demo?.close();
  await server?.close();
});

describe('adding a device with a pairing code', () => {
  it('signs up on the first device', async () => {
    const options = await openOptions(laptop);
    await chooseServerAndOptIn(options, server.config.publicUrl);
    await signUp(options, username, password);
    await options.close();
  });

  it('shows a 12-character code with a countdown on the new device', async () => {
    phonePairing = await openOptions(phone);
    await chooseServerAndOptIn(phonePairing, server.config.publicUrl);
    // The manual path stays offered next to pairing.
    expect(await phonePairing.evaluate("document.getElementById('signin-form') !== null")).toBe(
      true,
    );
    await phonePairing.setViewport(760, 500);
    code = await showPairingCode(phonePairing);
    expect(await textOf(phonePairing, 'progress')).toBe('Waiting for your other device…');
    await phonePairing.waitFor(
      "document.getElementById('countdown').textContent.includes('expires in')",
    );
    expect(await textOf(phonePairing, 'countdown')).toMatch(/expires in [45]:\d\d/);
    await saveScreenshot(phonePairing, 'pairing-new-device');
  });

  it('pairs when the signed-in device types the code: both show success', async () => {
    const laptopPairing = await openOptions(laptop);
    await laptopPairing.setViewport(760, 400);
    // (Case, spaces and dashes do not matter: extension/background/pairing/pairing.test.ts.)
    await typePairingCode(laptopPairing, code, 'Phone', async (page) => {
      // The picture for the docs shows the form as filled in, not the focus ring.
      await page.evaluate('document.activeElement.blur()');
      await saveScreenshot(page, 'pairing-add-device');
    });
    await laptopPairing.waitFor(PAIRING_ENDED, 60_000);
    expect(await textOf(laptopPairing, 'pairing-success')).toBe(
      'Done: “Phone” added. It receives your notifications from now on.',
    );
    await phonePairing.waitFor(PAIRING_ENDED, 60_000);
    expect(await textOf(phonePairing, 'pairing-success')).toBe(
      `Done: this device is signed in as “${username}” and receives your notifications.`,
    );
    await laptopPairing.close();
    await phonePairing.close();

    // The phone now holds the account's secret key and a token of its own, never the password.
    const stored = await openOptions(phone);
    expect(await textOf(stored, 'signed-in-text')).toContain(username);
    const all = await stored.evaluate<string>(
      'browser.storage.local.get().then((all) => JSON.stringify(all))',
    );
    expect(all).not.toContain(password);
    await stored.close();
  });

  it('lists both devices, on both devices', async () => {
    const laptopPopup = await openPopup(laptop);
    await laptopPopup.waitFor(`${DEVICE_ROWS}.length === 2`, 30_000);
    const names = await laptopPopup.evaluate<string[]>(DEVICE_NAMES);
    expect(names).toContain('Phone');
    laptopName = names.find((n) => n.endsWith(' (this device)'))!.replace(' (this device)', '');
    await laptopPopup.close();

    const phonePopup = await openPopup(phone);
    await phonePopup.waitFor(`${DEVICE_ROWS}.length === 2`, 30_000);
    expect((await phonePopup.evaluate<string[]>(DEVICE_NAMES)).sort()).toEqual(
      [laptopName, 'Phone (this device)'].sort(),
    );
    await phonePopup.close();
  });

  it('delivers a push from a subscription made on the first device to both, each decrypting it', async () => {
    const site = await bidWithNotification(laptop, `${demo.url}/items/lamp`, 'alice', 20, 'allow');
    await site.close();
    expect((await bid(demo, 'bob', 25)).notified).toMatchObject({ status: 201 });
    for (const device of [laptop, phone]) {
      const popup = await openPopup(device);
      await popup.waitFor(hasNotification("You've been outbid"), 60_000);
      // The body is only readable after decryption with the shared secret key.
      expect(
        await popup.evaluate(
          "document.querySelector('#notifications li.notification .body').textContent",
        ),
      ).toContain('25 €');
      await popup.close();
    }
  });

  it('removing the new device from the first stops its delivery at once', async () => {
    const popup = await openPopup(laptop);
    await popup.waitFor(`${DEVICE_ROWS}.length === 2`);
    const phoneRow = `${DEVICE_ROWS}.find((li) => li.textContent.includes('Phone'))`;
    const id = await popup.evaluate<string>(`${phoneRow}.dataset.id`);
    const button = `#devices li.device[data-id="${id}"] button`;
    await popup.click(button);
    await popup.click(button); // the second click confirms
    await popup.waitFor(`${DEVICE_ROWS}.length === 1`);
    await popup.close();

    // The server closes the phone's socket when its client is deleted: it learns at once.
    const phonePopup = await openPopup(phone);
    await phonePopup.waitFor(REMOVED_NOTICE, 60_000);
    await phonePopup.close();

    await bid(demo, 'alice', 30);
    expect((await bid(demo, 'bob', 35)).notified).toMatchObject({ status: 201 });
    const laptopPopup = await openPopup(laptop);
    await laptopPopup.waitFor(hasNotification('35 €'), 60_000);
    await laptopPopup.close();
    const after = await openPopup(phone);
    expect(await after.evaluate(hasNotification('35 €'))).toBe(false);
    expect(
      await after.evaluate("browser.storage.local.get('account').then((s) => s.account ?? null)"),
    ).toBeNull();
    await after.close();
  });

  it('fails cleanly on both sides with a wrong code, and adds no device', async () => {
    const phoneOptions = await openOptions(phone);
    const fresh = await showPairingCode(phoneOptions);
    expect(fresh).not.toBe(code);
    const laptopPairing = await openOptions(laptop);
    await typePairingCode(laptopPairing, mistyped(fresh), 'Phone');
    await laptopPairing.waitFor(PAIRING_ENDED, 60_000);
    await phoneOptions.waitFor(PAIRING_ENDED, 60_000);
    expect(await laptopPairing.evaluate(PAIRING_FAILED)).toBe(true);
    expect(await phoneOptions.evaluate(PAIRING_FAILED)).toBe(true);
    expect(await textOf(laptopPairing, 'pairing-error')).toContain('does not match');
    expect(await textOf(phoneOptions, 'pairing-error')).toContain('did not match');
    // Each offers a way on: the new device a new code, the other one its form again.
    expect(await phoneOptions.evaluate("!document.getElementById('retry').hidden")).toBe(true);
    expect(await phoneOptions.evaluate("document.getElementById('code-box').hidden")).toBe(true);
    expect(await laptopPairing.evaluate("document.getElementById('code-input').disabled")).toBe(
      false,
    );
    expect(await phoneOptions.evaluate(PAIRING_SUCCEEDED)).toBe(false);

    await phoneOptions.click('#retry');
    await phoneOptions.waitFor("document.getElementById('pairing-code').value !== ''");
    const another = await phoneOptions.evaluate<string>(
      "document.getElementById('pairing-code').value",
    );
    expect(another).toMatch(CODE_PATTERN);
    expect(another).not.toBe(fresh);
    await phoneOptions.click('#cancel');
    await phoneOptions.waitFor(
      "document.getElementById('progress').textContent === 'Pairing cancelled.'",
    );
    await phoneOptions.close();
    await laptopPairing.close();

    const popup = await openPopup(laptop);
    await popup.waitFor(`${DEVICE_ROWS}.length >= 1`);
    expect(await popup.evaluate(DEVICE_NAMES)).toEqual([`${laptopName} (this device)`]);
    await popup.close();
  });

  it('says "interrupted" when Chromium stops the background in the middle, and starts again', async () => {
    const phoneOptions = await openOptions(phone);
    const first = await showPairingCode(phoneOptions);
    await phone.stopBackground?.();
    // The page's next question wakes a new background, which finds the run gone.
    await phoneOptions.waitFor(PAIRING_FAILED, 30_000);
    expect(await textOf(phoneOptions, 'pairing-error')).toContain('interrupted');
    expect(await phoneOptions.evaluate("document.getElementById('code-box').hidden")).toBe(true);
    await phoneOptions.click('#retry');
    await phoneOptions.waitFor(
      `document.getElementById('pairing-code').value !== '' && document.getElementById('pairing-code').value !== ${JSON.stringify(first)}`,
    );
    await phoneOptions.click('#cancel');
    await phoneOptions.waitFor(
      "document.getElementById('progress').textContent === 'Pairing cancelled.'",
    );
    await phoneOptions.close();
  });

  it('deletes the device it had added when Chromium stops the signed-in background while it waits for done', async () => {
    // The phone reaches the relay through a proxy that holds its `done` back, so the laptop is
    // stopped for sure in "finishing": the phone's client is registered and the payload sent.
    const proxy = await holdDoneProxy(server.config.publicUrl);
    try {
      const phoneOptions = await openOptions(phone);
      await chooseServer(phoneOptions, proxy.url);
      const fresh = await showPairingCode(phoneOptions);
      const laptopPairing = await openOptions(laptop);
      await typePairingCode(laptopPairing, fresh, 'Tablet');
      await proxy.doneArrived;
      await laptopPairing.waitFor(
        "document.getElementById('progress').textContent === 'Waiting for the new device to finish…'",
      );
      await laptop.stopBackground?.();
      // The page's next question wakes a new background, which deletes the client first.
      await laptopPairing.waitFor(PAIRING_FAILED, 30_000);
      expect(await textOf(laptopPairing, 'pairing-error')).toBe(
        'Pairing was interrupted (the add-on was restarted). The device it had added half-way, “Tablet”, was removed again. Please start again.',
      );
      // The race the laptop could not see: the phone finishes just after. Its `done` is
      // accepted (nobody closed the channel), but its token was deleted: it signs out again.
      proxy.releaseDone();
      await phoneOptions.waitFor(PAIRING_ENDED, 60_000);
      expect(await phoneOptions.evaluate(PAIRING_SUCCEEDED)).toBe(true);
      await phoneOptions.close();
      await laptopPairing.close();

      const popup = await openPopup(laptop);
      await popup.waitFor(`${DEVICE_ROWS}.length >= 1`);
      expect(await popup.evaluate(DEVICE_NAMES)).toEqual([`${laptopName} (this device)`]);
      await popup.close();
      const phonePopup = await openPopup(phone);
      await phonePopup.waitFor(REMOVED_NOTICE, 60_000);
      expect(
        await phonePopup.evaluate(
          "browser.storage.local.get('account').then((s) => s.account ?? null)",
        ),
      ).toBeNull();
      await phonePopup.close();
    } finally {
      await proxy.close();
    }
  });
});
