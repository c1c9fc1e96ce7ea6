// Signing in with an OpenID Connect provider (docs/protocol.md §9), end to end in a real
// browser: the add-on's settings page offers "Sign in with Test ID" because the server
// announces it, the browser's identity.launchWebAuthFlow runs the code flow with PKCE against
// a real provider (npm oidc-provider on 127.0.0.1, approving the test user without a page),
// the server makes the account, the page shows its recovery key; then the auction demo
// subscribes and the add-on receives and decrypts the outbid notification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuctionDemo, startAuctionDemo } from '../../examples/auction/server.js';
import { TestOidcProvider } from '../../server/testing/oidc-provider.js';
import { startTestServer, type TestServer } from '../../server/testing/test-server.js';
import {
  bidWithNotification,
  chooseServerAndOptIn,
  hasNotification,
  openOptions,
  openPopup,
} from './addon-steps.js';
import { bid } from './auction-story.js';
import { ensureExtensionBuilt } from './extension-build.js';
import { PAIRING_ENDED, showPairingCode, textOf, typePairingCode } from './pairing-steps.js';
import type { BrowserUnderTest, UiPage } from './ui-page.js';

const CLIENT_ID = 'push-addon';

function oidcStory(launch: (extensionDir: string) => Promise<BrowserUnderTest>): void {
  let provider: TestOidcProvider;
  let server: TestServer;
  let demo: AuctionDemo;
  let browser: BrowserUnderTest;
  /** Another profile of the same browser: the user's second device. */
  let second: BrowserUnderTest | undefined;
  let third: BrowserUnderTest | undefined;
  let options: UiPage;
  let recoveryKey = '';
  let launchAgain: () => Promise<BrowserUnderTest>;

  beforeAll(async () => {
    const extensionDir = ensureExtensionBuilt();
    provider = await TestOidcProvider.start({
      clients: [{ clientId: CLIENT_ID, redirectUris: [] }],
    });
    server = await startTestServer({
      env: {
        OIDC_ISSUERS: JSON.stringify([
          { issuer: provider.issuer, clientId: CLIENT_ID, name: 'Test ID' },
        ]),
      },
    });
    demo = await startAuctionDemo({ port: 0, pushServerUrl: server.config.publicUrl });
    browser = await launch(extensionDir);
    launchAgain = () => launch(extensionDir);
  });

  afterAll(async () => {
    await third?.close();
    await second?.close();
    await browser?.close();
    await demo?.close();
    await server?.close();
    await provider?.close();
  });

  it('offers the provider the server announces, and names the redirect URL to register', async () => {
    options = await openOptions(browser);
    await chooseServerAndOptIn(options, server.config.publicUrl);
    await options.waitFor("!document.getElementById('oidc').hidden");
    expect(
      await options.evaluate<string>(
        "document.querySelector('#oidc-providers button').textContent",
      ),
    ).toBe('Sign in with Test ID');
    const redirectUrl = await options.evaluate<string>(
      "document.getElementById('oidc-redirect').textContent",
    );
    expect(redirectUrl).toMatch(
      browser.name === 'chromium'
        ? /^https:\/\/[a-p]{32}\.chromiumapp\.org\/$/
        : /^https:\/\/[0-9a-f]{40}\.extensions\.allizom\.org\/$/,
    );
    // As an operator registers the add-on at the provider.
    provider.addRedirectUri(CLIENT_ID, redirectUrl);
  });

  it('signs in with the provider, makes the account and shows its recovery key', async () => {
    await options.click('#oidc-providers button');
    await options.waitFor(
      "!document.getElementById('recovery').hidden || !document.getElementById('oidc-error').hidden",
      60_000,
    );
    const error = await options.evaluate<string>(
      "document.getElementById('oidc-error').hidden ? '' : document.getElementById('oidc-error').textContent",
    );
    expect(error).toBe('');
    recoveryKey = await options.evaluate<string>("document.getElementById('recovery-key').value");
    expect(recoveryKey).toMatch(/^([a-z2-7]{4}-){12}[a-z2-7]{4}$/);
    await options.click('#recovery-saved');
    await options.click('#recovery-done');
    await options.waitFor("!document.getElementById('signed-in').hidden");
    expect(
      await options.evaluate<string>("document.getElementById('signed-in-text').textContent"),
    ).toContain('alice (Test ID)');
    // The server made the account of (issuer, alice).
    const accounts = await server.services.store.searchAccounts('oidc:', 10);
    expect(accounts).toEqual([
      expect.objectContaining({ oidcIssuer: provider.issuer, clients: 1 }),
    ]);
    await options.close();
  });

  it('subscribes from the auction and receives the outbid notification, decrypted', async () => {
    const site = await bidWithNotification(browser, `${demo.url}/items/lamp`, 'alice', 20, 'allow');
    expect(await site.evaluate("document.getElementById('status').dataset.state")).toBe(
      'subscribed',
    );
    await site.close();
    const popup = await openPopup(browser);
    expect((await bid(demo, 'bob', 25)).notified).toMatchObject({ status: 201 });
    await popup.waitFor(hasNotification("You've been outbid"), 90_000);
    expect(
      await popup.evaluate(
        "document.querySelector('#notifications li.notification .body').textContent",
      ),
    ).toContain('25 €');
    await popup.close();
  });

  it('on a second device, asks for pairing or the recovery key, then receives the same pushes', async () => {
    second = await launchAgain();
    const page = await openOptions(second);
    await chooseServerAndOptIn(page, server.config.publicUrl);
    await page.waitFor("!document.getElementById('oidc').hidden");
    // Without the recovery key: the provider signs the user in, but the key is missing.
    await page.click('#oidc-providers button');
    await page.waitFor("!document.getElementById('oidc-error').hidden", 60_000);
    expect(
      await page.evaluate<string>("document.getElementById('oidc-error').textContent"),
    ).toMatch(/pair this browser with a code .* or type your recovery key/);
    // The device registered on the way was removed again.
    expect(await server.services.store.searchAccounts('oidc:', 10)).toEqual([
      expect.objectContaining({ clients: 1 }),
    ]);

    await page.fill('#oidc-recovery', recoveryKey);
    await page.click('#oidc-providers button');
    await page.waitFor("!document.getElementById('signed-in').hidden", 60_000);
    expect(
      await page.evaluate<string>("document.getElementById('signed-in-text').textContent"),
    ).toContain('alice (Test ID)');
    await page.close();

    // A push to the subscription the first device made opens here too: same secret key.
    const popup = await openPopup(second);
    // Alice (the demo keeps her subscription) bids again and is outbid again.
    expect((await bid(demo, 'alice', 30)).notified).toBeNull();
    expect((await bid(demo, 'carol', 35)).notified).toMatchObject({ status: 201 });
    await popup.waitFor(hasNotification("You've been outbid"), 90_000);
    expect(
      await popup.evaluate(
        "document.querySelector('#notifications li.notification .body').textContent",
      ),
    ).toContain('35 €');
    await popup.close();
  });

  it('adds a third device by pairing with the first: no provider sign-in, no recovery key', async () => {
    await second?.close();
    second = undefined;
    third = await launchAgain();
    const newDevice = await openOptions(third);
    await chooseServerAndOptIn(newDevice, server.config.publicUrl);
    const code = await showPairingCode(newDevice);
    const signedIn = await openOptions(browser);
    await typePairingCode(signedIn, code, 'Tablet');
    await signedIn.waitFor(PAIRING_ENDED, 60_000);
    expect(await textOf(signedIn, 'pairing-success')).toContain('“Tablet” added');
    await newDevice.waitFor(PAIRING_ENDED, 60_000);
    expect(await textOf(newDevice, 'pairing-success')).toBe(
      'Done: this device is signed in as “alice (Test ID)” and receives your notifications.',
    );
    expect(await server.services.store.searchAccounts('oidc:', 10)).toEqual([
      expect.objectContaining({ clients: 3 }),
    ]);
    await signedIn.close();
    await newDevice.close();
  });
}

export function describeOidcStory(
  name: string,
  launch: (extensionDir: string) => Promise<BrowserUnderTest>,
): void {
  describe(name, () => oidcStory(launch));
}
