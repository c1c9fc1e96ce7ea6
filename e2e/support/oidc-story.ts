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
import type { BrowserUnderTest, UiPage } from './ui-page.js';

const CLIENT_ID = 'push-addon';

function oidcStory(launch: (extensionDir: string) => Promise<BrowserUnderTest>): void {
  let provider: TestOidcProvider;
  let server: TestServer;
  let demo: AuctionDemo;
  let browser: BrowserUnderTest;
  let options: UiPage;

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
  });

  afterAll(async () => {
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
    const recoveryKey = await options.evaluate<string>(
      "document.getElementById('recovery-key').value",
    );
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
}

export function describeOidcStory(
  name: string,
  launch: (extensionDir: string) => Promise<BrowserUnderTest>,
): void {
  describe(name, () => oidcStory(launch));
}
