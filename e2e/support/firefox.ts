// Firefox ESR (Debian's /usr/bin/firefox-esr) with the add-on, through Puppeteer over WebDriver
// BiDi. The add-on's UUID is fixed by a pref so its pages have a known address, and
// -remote-allow-system-access lets the tests open them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { extensionDirFor } from './extension-build.js';
import {
  type BrowserUnderTest,
  type DetachableBrowser,
  DOCUMENT_LOADED,
  INSECURE_HOST,
  pollUntil,
  type UiPage,
} from './ui-page.js';

export const GECKO_ID = 'push-service@push-service.invalid';
const EXTENSION_UUID = '5e1f4c2a-7b3d-4e8f-9a6b-2c0d1e3f4a5b';

function wrap(page: Page): UiPage {
  return {
    async open(url, ready = DOCUMENT_LOADED) {
      // Navigating to a moz-extension:// page may swap the browsing context, so the goto
      // promise can fail or never settle: wait for the page's own marker instead.
      page.goto(url).catch(() => undefined);
      await pollUntil(
        (e) => page.evaluate(e),
        `location.href === ${JSON.stringify(url)} && (${ready})`,
        30_000,
      );
    },
    async goto(url) {
      await page.goto(url);
    },
    click: (selector) => page.click(selector),
    async fill(selector, value) {
      await page.locator(selector).fill(value);
    },
    waitFor: (expression, timeoutMs = 30_000) =>
      pollUntil((e) => page.evaluate(e), expression, timeoutMs),
    evaluate: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
    setViewport: (width, height) => page.setViewport({ width, height }),
    async screenshot(path) {
      await page.screenshot({ path });
    },
    close: () => page.close(),
  };
}

async function findPage(
  find: () => Promise<Page | null>,
  what: string,
  timeoutMs = 30_000,
): Promise<UiPage> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const page = await find();
    if (page) return wrap(page);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no ${what} appeared`);
}

/**
 * The first page target (not in `skip`) whose address starts with `prefix`. Firefox reports
 * an add-on page's target as about:blank (the page moves to the add-on's process), so every
 * target is asked for its address.
 */
async function pageStartingWith(
  browser: Browser,
  prefix: string,
  skip: ReadonlySet<unknown>,
): Promise<Page | null> {
  for (const target of browser.targets()) {
    if (skip.has(target) || target.type() !== 'page') continue;
    const page = await target.page();
    const href = await page?.evaluate('location.href').catch(() => '');
    if (page && typeof href === 'string' && href.startsWith(prefix)) return page;
  }
  return null;
}

const PREFS = {
  'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: EXTENSION_UUID }),
  'xpinstall.signatures.required': false,
  // Nothing outside loopback: no update checks, telemetry or remote settings.
  'app.update.enabled': false,
  'extensions.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  // An http: site that is not a secure context, served from loopback (ui-page.ts).
  'network.dns.localDomains': INSECURE_HOST,
};

/** Firefox as a BrowserUnderTest, on whichever Puppeteer connection `current` gives. */
function underTest(current: () => Browser, close: () => Promise<void>): BrowserUnderTest {
  const extensionBase = `moz-extension://${EXTENSION_UUID}/`;
  return {
    name: 'firefox',
    extensionBase,
    newPage: async () => wrap(await current().newPage()),
    nextPrompt() {
      const known = new Set(current().targets());
      return findPage(
        () => pageStartingWith(current(), `${extensionBase}ui/prompt.html`, known),
        'add-on prompt window',
      );
    },
    pageAt: (prefix) => findPage(() => pageStartingWith(current(), prefix, new Set()), prefix),
    close,
  };
}

async function start(buildDir: string): Promise<{ browser: Browser; profile: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'push-e2e-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
    userDataDir: profile,
    args: ['-remote-allow-system-access'],
    extraPrefsFirefox: PREFS,
  });
  await browser.installExtension(extensionDirFor(buildDir, 'firefox'));
  return { browser, profile };
}

export async function launchFirefox(buildDir: string): Promise<BrowserUnderTest> {
  const { browser, profile } = await start(buildDir);
  return underTest(
    () => browser,
    async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  );
}

/**
 * Firefox whose automation can be disconnected (WebDriver BiDi session ended) while the
 * browser runs on with the add-on, and connected again later.
 */
export async function launchDetachableFirefox(buildDir: string): Promise<DetachableBrowser> {
  const { browser: launched, profile } = await start(buildDir);
  const endpoint = launched.wsEndpoint();
  let current: Browser | null = launched;
  const connected = () => {
    if (!current) throw new Error('the automation is detached: attach() first');
    return current;
  };
  const attach = async () => {
    current ??= await puppeteer.connect({
      browserWSEndpoint: endpoint,
      protocol: 'webDriverBiDi',
    });
  };
  const base = underTest(connected, async () => {
    await attach();
    await connected().close();
    // The launching connection owns the process: make sure it is gone.
    launched.process()?.kill('SIGKILL');
    rmSync(profile, { recursive: true, force: true });
  });
  return {
    ...base,
    attach,
    async detach() {
      const browser = connected();
      // Firefox quits with its last window: one blank tab stays, which runs no extension code.
      const pages = await browser.pages();
      const blank = await browser.newPage();
      for (const page of pages) await page.close();
      await blank.goto('about:blank');
      current = null;
      await browser.disconnect();
    },
  };
}
