// What the user controls, end to end in a real browser with the add-on and the real push
// server, on a small test site (test-site.ts): the settings open at install with "Create an
// account" first; a page that is not a secure context cannot reach the add-on even by forging
// bridge messages; a site may ask only during a user gesture; unsubscribing several sites at
// once makes each ask again, "Block" then silences one; three dismissed questions keep a site
// quiet for a day; a subscription whose meta the server swapped shows as an unknown site. Run in
// each browser by e2e/sites-*.test.ts.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../server/security/tokens.js';
import { startTestServer, type TestServer } from '../../server/testing/test-server.js';
import type { PushSubscriptionJSON } from '../../shared/protocol.js';
import {
  chooseServerAndOptIn,
  fitPopup,
  js,
  type OnStep,
  openOptions,
  openPopup,
  signIn,
  signUp,
  siteDecisionIn,
  subscriptionRow,
  uiCall,
  unsubscribeInPopup,
} from './addon-steps.js';
import { ensureExtensionBuilt } from './extension-build.js';
import { saveScreenshot } from './screenshots.js';
import { sendPush, startTestSite, type TestSite } from './test-site.js';
import { type BrowserUnderTest, EXTENSION_PAGE_READY, type UiPage } from './ui-page.js';

const PASSWORD = 'a site of my own';

/**
 * What a malicious server (or one holding a stolen token) could do: swap the sealed metas of
 * two subscriptions, found by their endpoints, straight in the test server's SQLite file.
 */
function swapMetas(server: TestServer, endpointA: string, endpointB: string): void {
  const { database } = server.config;
  if (database.kind !== 'sqlite') throw new Error('the test server uses SQLite');
  const db = new Database(database.path);
  try {
    // The database knows an endpoint token only by its hash (server/security/endpoint-tokens.ts).
    const token = (endpoint: string) => hashToken(endpoint.split('/push/')[1] ?? '');
    const meta = db.prepare<[string], { meta: string }>(
      'SELECT meta FROM subscriptions WHERE token_hash = ?',
    );
    const set = db.prepare('UPDATE subscriptions SET meta = ? WHERE token_hash = ?');
    const a = meta.get(token(endpointA))?.meta;
    const b = meta.get(token(endpointB))?.meta;
    if (!a || !b) throw new Error('no such subscriptions');
    db.transaction(() => {
      set.run(b, token(endpointA));
      set.run(a, token(endpointB));
    })();
  } finally {
    db.close();
  }
}

/** What a test-site page recorded about its navigator.push call (test-site.ts). */
interface Outcome {
  state: 'done' | 'failed';
  error: string | null;
  message: string | null;
}

async function outcomeOf(page: UiPage): Promise<Outcome> {
  await page.waitFor("['done', 'failed'].includes(document.body.dataset.state)");
  return page.evaluate<Outcome>(
    '({ state: document.body.dataset.state, error: document.body.dataset.error ?? null, message: document.body.dataset.message ?? null })',
  );
}

/** Opens the site and presses its Subscribe button (a real click: a user gesture). */
async function clickSubscribe(browser: BrowserUnderTest, url: string): Promise<UiPage> {
  const page = await browser.newPage();
  await page.open(`${url}/`);
  await page.click('#subscribe');
  return page;
}

/** Subscribes `url` with a click and answers the add-on's question. */
async function subscribeAnswering(
  browser: BrowserUnderTest,
  url: string,
  answer: 'allow' | 'block',
  onStep?: OnStep,
): Promise<Outcome> {
  const prompt = browser.nextPrompt();
  const page = await clickSubscribe(browser, url);
  const question = await prompt;
  await question.waitFor(EXTENSION_PAGE_READY);
  expect(await question.evaluate<string>("document.getElementById('origin').textContent")).toBe(
    url,
  );
  await onStep?.('prompt', question);
  await question.click(`#${answer}`);
  const outcome = await outcomeOf(page);
  await page.close();
  return outcome;
}

function siteControlStory(launch: (buildDir: string) => Promise<BrowserUnderTest>): void {
  let server: TestServer;
  let site: TestSite;
  let browser: BrowserUnderTest;
  const username = `sites${Date.now().toString(36)}`;
  let recoveryKey: string;

  beforeAll(async () => {
    const buildDir = ensureExtensionBuilt();
    server = await startTestServer();
    site = await startTestSite();
    browser = await launch(buildDir);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
  });

  const shot: OnStep = (name, page) => saveScreenshot(page, `${browser.name}-${name}`);

  it('opens its settings at install, with "Create an account" as the main action', async () => {
    const options = await browser.pageAt(`${browser.extensionBase}ui/options.html`);
    await options.waitFor(EXTENSION_PAGE_READY);
    await options.setViewport(1000, 1100);
    // One primary (blue) button: creating an account. Adding this browser to an existing
    // account — by code or by hand — comes after it, as the alternative.
    expect(
      await options.evaluate(
        "[...document.querySelectorAll('#content .primary')].filter((b) => b.checkVisibility()).map((b) => b.id)",
      ),
    ).toEqual(['signup-submit']);
    expect(
      await options.evaluate(
        "Boolean(document.getElementById('signup-form').compareDocumentPosition(document.getElementById('pair-new')) & Node.DOCUMENT_POSITION_FOLLOWING)",
      ),
    ).toBe(true);
    const hint = "document.getElementById('enabled-hint').textContent";
    expect(await options.evaluate(hint)).toMatch(/^Off until you turn it on/);
    await chooseServerAndOptIn(options, server.config.publicUrl);
    await options.waitFor(`${hint}.startsWith('On. Create an account')`);
    await shot('options', options);
    recoveryKey = await signUp(options, username, PASSWORD);
    await options.waitFor(`${hint}.startsWith('On: websites can ask')`);
    await options.close();
  });

  it('refuses forged bridge messages from an http:// page that is not a secure context', async () => {
    const page = await browser.newPage();
    await page.open(`${site.insecureUrl}/forge`);
    expect(await page.evaluate('window.isSecureContext')).toBe(false);
    expect(await page.evaluate("'push' in navigator")).toBe(false);
    // The content script took the page's channel: from here on it passes the requests on.
    await page.waitFor("document.body.dataset.ready === 'true'");
    const requests = [
      { type: 'subscribe', applicationServerKey: site.vapid.publicKey },
      { type: 'subscribe', applicationServerKey: null },
      { type: 'getSubscription' },
      { type: 'permissionState' },
      { type: 'unsubscribe', endpoint: null },
      { type: 'listen' },
    ];
    for (const [i, request] of requests.entries()) {
      await page.evaluate(`window.forge(${i + 1}, ${js(request)})`);
    }
    await page.waitFor(
      `Object.keys(JSON.parse(document.body.dataset.responses ?? '{}')).length === ${requests.length}`,
    );
    const responses = JSON.parse(
      await page.evaluate<string>('document.body.dataset.responses'),
    ) as Record<string, unknown>;
    for (const response of Object.values(responses)) {
      expect(response).toEqual({
        ok: false,
        error: { name: 'SecurityError', message: expect.stringMatching(/secure contexts/) },
      });
    }
    await page.close();
    // The refusals came back at once, so no question was waiting; and nothing was kept.
    const options = await openOptions(browser);
    expect(await uiCall(options, 'listSites')).toEqual([]);
    expect(await uiCall(options, 'listSubscriptions')).toEqual([]);
    await options.close();
  });

  /** Opens the page that subscribes on load, untouched by the automation; its report. */
  async function subscribeOnLoad(url: string) {
    const report = site.nextReport();
    const page = await browser.newPage();
    await page.goto(`${url}/on-load`);
    const outcome = await report;
    await page.close();
    return outcome;
  }

  it('rejects subscribe() without a user gesture with NotAllowedError, without asking', async () => {
    expect(await subscribeOnLoad(site.url)).toEqual({
      origin: site.url,
      state: 'failed',
      error: 'NotAllowedError',
      message: expect.stringMatching(/user gesture/),
    });
    const options = await openOptions(browser);
    expect(await uiCall(options, 'listSites')).toEqual([]);
    await options.close();
  });

  it('unsubscribes two sites at once: each has to ask again before it can subscribe', async () => {
    for (const url of [site.url, site.otherOriginUrl]) {
      expect(await subscribeAnswering(browser, url, 'allow')).toMatchObject({ state: 'done' });
    }
    // Allowed, a site that subscribes on every page load gets its subscription without asking.
    expect(await subscribeOnLoad(site.url)).toMatchObject({ state: 'done' });

    const popup = await openPopup(browser);
    for (const url of [site.url, site.otherOriginUrl]) {
      await popup.waitFor(`document.querySelector(${js(subscriptionRow(url))}) !== null`);
    }
    const said = await unsubscribeInPopup(popup, 'all', async (name, page) => {
      await fitPopup(page);
      await shot(name, page);
    });
    expect(said).toMatch(/^Unsubscribed from .+ and .+\. They have to ask again/);
    await popup.waitFor("document.querySelectorAll('#subscriptions li.subscription').length === 0");
    expect(await popup.evaluate("document.getElementById('block-unsubscribed').textContent")).toBe(
      'Block these 2 sites',
    );
    await popup.close();

    // Now the page load cannot subscribe silently any more …
    expect(await subscribeOnLoad(site.url)).toMatchObject({
      state: 'failed',
      error: 'NotAllowedError',
    });
    // … and a click asks the user again.
    expect(await subscribeAnswering(browser, site.url, 'allow')).toMatchObject({ state: 'done' });
    const options = await openOptions(browser);
    expect(await siteDecisionIn(options, site.url)).toBe('allow');
    expect(await siteDecisionIn(options, site.otherOriginUrl)).toBe('ask');
    await options.close();
  });

  it('"Block" after unsubscribing: the site then gets NotAllowedError without a prompt', async () => {
    const popup = await openPopup(browser);
    expect(await unsubscribeInPopup(popup, [site.url])).toMatch(/^Unsubscribed from /);
    const name = new URL(site.url).host;
    expect(await popup.evaluate("document.getElementById('block-unsubscribed').textContent")).toBe(
      `Block http://${name}`,
    );
    await popup.click('#block-unsubscribed');
    await popup.waitFor(
      "document.getElementById('unsubscribed-text').textContent.startsWith('Blocked')",
    );
    await popup.close();
    // Nobody answers a question here: the rejection comes without one.
    const page = await clickSubscribe(browser, site.url);
    expect(await outcomeOf(page)).toEqual({
      state: 'failed',
      error: 'NotAllowedError',
      message: expect.stringMatching(/blocked/),
    });
    expect(await page.evaluate('navigator.push.permissionState()')).toBe('denied');
    await page.close();
    const options = await openOptions(browser);
    expect(await siteDecisionIn(options, site.url)).toBe('block');
    await options.close();
  });

  it('keeps a site quiet for a day after its question was dismissed three times', async () => {
    const page = await browser.newPage();
    await page.open(`${site.otherOriginUrl}/`);
    for (let i = 0; i < 3; i++) {
      const prompt = browser.nextPrompt();
      await page.click('#subscribe');
      const question = await prompt;
      await question.waitFor(EXTENSION_PAGE_READY);
      // Escape closes the question: "not now".
      await question
        .evaluate("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }))")
        .catch(() => undefined);
      expect(await outcomeOf(page)).toMatchObject({ state: 'failed', error: 'NotAllowedError' });
    }
    await page.click('#subscribe');
    expect(await outcomeOf(page)).toEqual({
      state: 'failed',
      error: 'NotAllowedError',
      message: expect.stringMatching(/three times/),
    });
    await page.close();
    const options = await openOptions(browser);
    const row = `#sites li.site[data-origin="${site.otherOriginUrl}"]`;
    await options.waitFor(
      `document.querySelector(${js(`${row} .meta`)})?.textContent.includes('may not ask again until')`,
    );
    // Choosing "Ask" in the settings lets it ask again at once.
    await options.evaluate(
      `(() => { const s = document.querySelector(${js(`${row} select`)}); s.value = 'ask'; s.dispatchEvent(new Event('change')); })()`,
    );
    await options.waitFor(`document.querySelector(${js(`${row} .meta`)}) === null`);
    await options.close();
    expect(await subscribeAnswering(browser, site.otherOriginUrl, 'allow')).toMatchObject({
      state: 'done',
    });
  });

  it('shows a subscription whose meta was swapped as an unknown site, not as the site', async () => {
    // Two sites (the second on another port), subscribed as usual.
    const bank = await startTestSite();
    try {
      expect(await subscribeAnswering(browser, bank.url, 'allow')).toMatchObject({
        state: 'done',
      });
      const subscriptionOf = async (url: string) => {
        const page = await browser.newPage();
        await page.open(`${url}/`);
        const json = await page.evaluate<PushSubscriptionJSON>(
          'navigator.push.getSubscription().then((s) => s.toJSON())',
        );
        await page.close();
        return json;
      };
      const evil = await subscriptionOf(site.otherOriginUrl);
      const bankSubscription = await subscriptionOf(bank.url);
      swapMetas(server, evil.endpoint, bankSubscription.endpoint);
      const options = await openOptions(browser);
      // This browser verified both when it made them; a fresh start of the add-on (signing
      // in again, as on a new device) reads them from the server.
      await options.click('#signout');
      await options.waitFor("!document.getElementById('signed-out').hidden");
      expect(await signIn(options, username, PASSWORD, recoveryKey)).toBeNull();
      await options.close();

      const popup = await openPopup(browser);
      await popup.waitFor(
        "document.querySelectorAll('#subscriptions li.subscription').length === 2",
      );
      expect(
        await popup.evaluate(
          "[...document.querySelectorAll('#subscriptions li.subscription')].map((li) => [li.dataset.origin, li.querySelector('.title').textContent])",
        ),
      ).toEqual([
        ['', 'Unknown site'],
        ['', 'Unknown site'],
      ]);
      // A message the one site sends is not shown as coming from the other.
      const sent = await sendPush(
        evil,
        JSON.stringify({ title: 'Your bank account is locked', body: 'Log in here' }),
        site.vapid,
      );
      expect(sent.status).toBe(201);
      const note =
        "[...document.querySelectorAll('#notifications li.notification')].find((li) => li.textContent.includes('account is locked'))";
      await popup.waitFor(`${note} !== undefined`);
      const text = await popup.evaluate<string>(`${note}.textContent`);
      expect(text).not.toContain(new URL(bank.url).host);
      await popup.close();
    } finally {
      await bank.close();
    }
  });
}

export function describeSiteControlStory(
  name: string,
  launch: (buildDir: string) => Promise<BrowserUnderTest>,
): void {
  describe(name, () => siteControlStory(launch));
}
