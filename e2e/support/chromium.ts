// Chromium (Debian's /usr/bin/chromium) with the add-on, through Playwright. Extensions load
// only in a persistent context; Chromium's headless mode runs them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { extensionDirFor } from './extension-build.js';
import {
  type BrowserUnderTest,
  DOCUMENT_LOADED,
  pollUntil,
  type UiPage,
  waitUntil,
} from './ui-page.js';

/** Debian's Chromium: nothing may download a browser of its own here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Without these Chromium stalls on network lookups in a sandbox with no outside network. */
export const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function wrap(page: Page): UiPage {
  return {
    async open(url, ready = DOCUMENT_LOADED) {
      await page.goto(url);
      await pollUntil((e) => page.evaluate(e), ready, 30_000);
    },
    async click(selector) {
      try {
        await page.click(selector);
      } catch (err) {
        // A click that closes its window (the prompt's answers) has done its job.
        if (!page.isClosed()) throw err;
      }
    },
    fill: (selector, value) => page.fill(selector, value),
    waitFor: (expression, timeoutMs = 30_000) =>
      pollUntil((e) => page.evaluate(e), expression, timeoutMs),
    evaluate: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
    setViewport: (width, height) => page.setViewportSize({ width, height }),
    async screenshot(path) {
      await page.screenshot({ path });
    },
    close: () => page.close(),
  };
}

export async function launchChromium(buildDir: string): Promise<BrowserUnderTest> {
  const extensionDir = extensionDirFor(buildDir, 'chromium');
  const profile = mkdtempSync(join(tmpdir(), 'push-e2e-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...QUIET_FLAGS,
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
    ],
  });
  const worker =
    context.serviceWorkers()[0] ??
    (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
  // Node's URL gives chrome-extension: URLs an opaque origin, so cut the base out by hand.
  let devtoolsPage: Page | undefined;
  const extensionBase = /^chrome-extension:\/\/[a-p]{32}\//.exec(worker.url())?.[0];
  if (!extensionBase) throw new Error(`unexpected service worker ${worker.url()}`);
  return {
    name: 'chromium',
    extensionBase,
    newPage: async () => wrap(await context.newPage()),
    async nextPrompt() {
      const page = await context.waitForEvent('page', {
        predicate: (p) => p.url().startsWith(`${extensionBase}ui/prompt.html`),
        timeout: 30_000,
      });
      return wrap(page);
    },
    async stopBackground() {
      // The DevTools protocol's ServiceWorker domain, seen from one of the add-on's own pages.
      // That page stays open: closing a tab is an event the add-on could be woken for.
      devtoolsPage ??= await context.newPage();
      if (!devtoolsPage.url().startsWith(extensionBase))
        await devtoolsPage.goto(`${extensionBase}ui/prompt.html`);
      const session = await context.newCDPSession(devtoolsPage);
      const versions: Array<{ versionId: string; runningStatus: string; scriptURL: string }> = [];
      session.on('ServiceWorker.workerVersionUpdated', (event) => versions.push(...event.versions));
      await session.send('ServiceWorker.enable');
      const ours = () => versions.filter((v) => v.scriptURL.startsWith(extensionBase)).at(-1);
      await waitUntil(() => ours(), 'the service worker', 10_000);
      await session.send('ServiceWorker.stopWorker', { versionId: ours()!.versionId });
      await waitUntil(
        () => ours()?.runningStatus === 'stopped',
        'the service worker to stop',
        10_000,
      );
      await session.send('ServiceWorker.disable');
      await session.detach();
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
