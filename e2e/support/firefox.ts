// Firefox ESR (Debian's /usr/bin/firefox-esr) with the add-on, through Puppeteer over WebDriver
// BiDi. The add-on's UUID is fixed by a pref so its pages have a known address, and
// -remote-allow-system-access lets the tests open them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { extensionDirFor } from './extension-build.js';
import { type BrowserUnderTest, DOCUMENT_LOADED, pollUntil, type UiPage } from './ui-page.js';

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

async function findPage(find: () => Promise<Page | null>, timeoutMs = 30_000): Promise<UiPage> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const page = await find();
    if (page) return wrap(page);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('no add-on prompt window appeared');
}

export async function launchFirefox(buildDir: string): Promise<BrowserUnderTest> {
  const profile = mkdtempSync(join(tmpdir(), 'push-e2e-firefox-'));
  const browser: Browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
    userDataDir: profile,
    args: ['-remote-allow-system-access'],
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: EXTENSION_UUID }),
      'xpinstall.signatures.required': false,
      // Nothing outside loopback: no update checks, telemetry or remote settings.
      'app.update.enabled': false,
      'extensions.update.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
    },
  });
  await browser.installExtension(extensionDirFor(buildDir, 'firefox'));
  const extensionBase = `moz-extension://${EXTENSION_UUID}/`;
  return {
    name: 'firefox',
    extensionBase,
    newPage: async () => wrap(await browser.newPage()),
    nextPrompt() {
      // Firefox reports an add-on window's target as about:blank (the page moves to the
      // add-on's process), so new targets are asked for their address instead.
      const known = new Set(browser.targets());
      return findPage(async () => {
        for (const target of browser.targets()) {
          if (known.has(target) || target.type() !== 'page') continue;
          const page = await target.page();
          const href = await page?.evaluate('location.href').catch(() => '');
          if (page && typeof href === 'string' && href.startsWith(`${extensionBase}ui/prompt.html`))
            return page;
        }
        return null;
      });
    },
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
