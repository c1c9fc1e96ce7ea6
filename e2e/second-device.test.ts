// A user with two devices: signs up in Chromium, subscribes a site, then signs in in Firefox
// with username, password and recovery key (docs/protocol.md §6 option B). Both list the same
// subscription (the meta opens with the recovered key), both receive the push, and removing
// the first device from the second signs the first out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuctionDemo, startAuctionDemo } from '../examples/auction/server.js';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';
import { formatRecoveryKey, generateSecretKey } from '../shared/crypto/index.js';
import {
  bidWithNotification,
  chooseServerAndOptIn,
  hasNotification,
  js,
  openOptions,
  openPopup,
  signIn,
  signUp,
  subscriptionRow,
} from './support/addon-steps.js';
import { bid } from './support/auction-story.js';
import { launchChromium } from './support/chromium.js';
import { ensureExtensionBuilt } from './support/extension-build.js';
import { launchFirefox } from './support/firefox.js';
import type { BrowserUnderTest } from './support/ui-page.js';

let server: TestServer;
let demo: AuctionDemo;
let laptop: BrowserUnderTest;
let desktop: BrowserUnderTest;
const username = `twodevices${Date.now().toString(36)}`;
const password = 'two devices, one key';
let recoveryKey: string;

beforeAll(async () => {
  const extensionDir = ensureExtensionBuilt();
  server = await startTestServer();
  demo = await startAuctionDemo({ port: 0, pushServerUrl: server.config.publicUrl });
  laptop = await launchChromium(extensionDir);
  desktop = await launchFirefox(extensionDir);
});

afterAll(async () => {
  await desktop?.close();
  await laptop?.close();
  await demo?.close();
  await server?.close();
});

describe('one account on two devices', () => {
  it('signs up and subscribes on the first device', async () => {
    const options = await openOptions(laptop);
    await chooseServerAndOptIn(options, server.config.publicUrl);
    recoveryKey = await signUp(options, username, password);
    await options.close();
    const site = await bidWithNotification(laptop, `${demo.url}/items/lamp`, 'alice', 20, 'allow');
    await site.close();
  });

  it('refuses a wrong password and a recovery key of another account on the second device', async () => {
    const options = await openOptions(desktop);
    await chooseServerAndOptIn(options, server.config.publicUrl);
    expect(await signIn(options, username, 'not the password', recoveryKey)).toBe(
      'Wrong username or password.',
    );
    const otherKey = formatRecoveryKey(generateSecretKey());
    expect(await signIn(options, username, password, otherKey)).toMatch(
      /does not belong to this account/,
    );
    await options.close();
  });

  it('signs in with the recovery key and sees the same subscriptions and both devices', async () => {
    const options = await openOptions(desktop);
    // Typed sloppily: case, spaces and dashes do not matter.
    expect(
      await signIn(options, username, password, recoveryKey.toUpperCase().replaceAll('-', ' ')),
    ).toBeNull();
    await options.close();
    const popup = await openPopup(desktop);
    await popup.waitFor(`document.querySelector(${js(subscriptionRow(demo.url))}) !== null`);
    await popup.waitFor("document.querySelectorAll('#devices li.device').length === 2");
    expect(await popup.evaluate("document.querySelector('#devices').textContent")).toContain(
      '(this device)',
    );
    await popup.close();
  });

  it('delivers the push to both devices', async () => {
    expect((await bid(demo, 'bob', 25)).notified).toMatchObject({ status: 201 });
    for (const device of [laptop, desktop]) {
      const popup = await openPopup(device);
      await popup.waitFor(hasNotification("You've been outbid"), 60_000);
      await popup.close();
    }
  });

  it('removes the first device from the second, which signs the first out', async () => {
    const popup = await openPopup(desktop);
    await popup.waitFor("document.querySelectorAll('#devices li.device').length === 2");
    const other =
      "[...document.querySelectorAll('#devices li.device')].find((li) => !li.textContent.includes('(this device)'))";
    const id = await popup.evaluate<string>(`${other}.dataset.id`);
    const button = `#devices li.device[data-id="${id}"] button`;
    await popup.click(button);
    await popup.click(button); // the second click confirms
    await popup.waitFor("document.querySelectorAll('#devices li.device').length === 1");
    await popup.close();

    const laptopPopup = await openPopup(laptop);
    await laptopPopup.waitFor(
      "!document.getElementById('notice').hidden && document.getElementById('notice-text').textContent.includes('removed')",
      60_000,
    );
    expect(
      await laptopPopup.evaluate("document.getElementById('subscriptions-section').hidden"),
    ).toBe(true);
    await laptopPopup.close();
  });
});
