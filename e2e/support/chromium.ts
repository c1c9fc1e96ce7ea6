// Chromium (Debian's /usr/bin/chromium) with the add-on, through Playwright. Extensions load
// only in a persistent context; Chromium's headless mode runs them.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { extensionDirFor } from './extension-build.js';
import {
  type BrowserUnderTest,
  type DetachableBrowser,
  DOCUMENT_LOADED,
  INSECURE_HOST,
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

/** An http: site that is not a secure context, served from loopback (ui-page.ts). */
const RESOLVER_FLAGS = [`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`];

function extensionFlags(extensionDir: string): string[] {
  return [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`];
}

/** `chrome-extension://<id>/` of the add-on's service worker. */
async function extensionBaseOf(context: BrowserContext): Promise<string> {
  const worker =
    context.serviceWorkers()[0] ??
    (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
  // Node's URL gives chrome-extension: URLs an opaque origin, so cut the base out by hand.
  const base = /^chrome-extension:\/\/[a-p]{32}\//.exec(worker.url())?.[0];
  if (!base) throw new Error(`unexpected service worker ${worker.url()}`);
  return base;
}

async function pageIn(context: BrowserContext, prefix: string): Promise<UiPage> {
  // Polled rather than awaited as an event: a tab the add-on opens is reported before it
  // has navigated, while its address is still about:blank.
  let found: Page | undefined;
  await waitUntil(
    () => (found = context.pages().find((p) => p.url().startsWith(prefix))),
    `a page at ${prefix}`,
    30_000,
  );
  if (!found) throw new Error(`no page at ${prefix}`);
  return wrap(found);
}

function nextPromptIn(context: BrowserContext, extensionBase: string): Promise<UiPage> {
  return context
    .waitForEvent('page', {
      predicate: (p) => p.url().startsWith(`${extensionBase}ui/prompt.html`),
      timeout: 30_000,
    })
    .then(wrap);
}

function wrap(page: Page): UiPage {
  return {
    async open(url, ready = DOCUMENT_LOADED) {
      await page.goto(url);
      await pollUntil((e) => page.evaluate(e), ready, 30_000);
    },
    async goto(url) {
      await page.goto(url);
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
    args: [...QUIET_FLAGS, ...RESOLVER_FLAGS, ...extensionFlags(extensionDir)],
  });
  const extensionBase = await extensionBaseOf(context);
  let devtoolsPage: Page | undefined;
  return {
    name: 'chromium',
    extensionBase,
    newPage: async () => wrap(await context.newPage()),
    nextPrompt: () => nextPromptIn(context, extensionBase),
    pageAt: (prefix) => pageIn(context, prefix),
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
      const ours = () => versions.filter((v) => v.scriptURL.startsWith(extensionBase));
      await waitUntil(() => ours().length, 'the service worker', 10_000);
      const before = versions.length;
      await session.send('ServiceWorker.stopWorker', { versionId: ours().at(-1)!.versionId });
      // Any "stopped" since the command counts: an open add-on page may wake the worker again
      // within milliseconds, before a poll would see the state.
      await waitUntil(
        () =>
          versions
            .slice(before)
            .some((v) => v.scriptURL.startsWith(extensionBase) && v.runningStatus === 'stopped'),
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

/** Starts Chromium itself (not through Playwright) and resolves to its DevTools endpoint. */
function spawnChromium(args: string[]): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(CHROMIUM_PATH, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error('Chromium did not start in 30 s')), 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n${output.slice(-2000)}`));
    };
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`Chromium exited with ${code}`)));
    let started = false;
    // Read to the end, or a full pipe would stall Chromium; only the start is of interest.
    child.stderr?.on('data', (chunk: Buffer) => {
      if (started) return;
      output += chunk.toString('utf8');
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (found?.[1]) {
        started = true;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, endpoint: found[1] });
      }
    });
  });
}

/**
 * Chromium whose automation can be disconnected while the browser runs on with the add-on.
 * Playwright's own launch cannot let go of a browser, and DevTools attached to the service
 * worker keeps it running, which would hide exactly what an idle test must see. So Chromium is
 * started here with a DevTools port, and Playwright connects over CDP only while needed.
 */
export async function launchDetachableChromium(buildDir: string): Promise<DetachableBrowser> {
  const extensionDir = extensionDirFor(buildDir, 'chromium');
  const profile = mkdtempSync(join(tmpdir(), 'push-e2e-chromium-'));
  const { child, endpoint } = await spawnChromium([
    '--headless',
    '--remote-debugging-port=0',
    `--user-data-dir=${profile}`,
    ...QUIET_FLAGS,
    ...RESOLVER_FLAGS,
    ...extensionFlags(extensionDir),
    'about:blank',
  ]);
  let browser: Browser | null = await chromium.connectOverCDP(endpoint);
  const context = () => {
    const contexts = browser?.contexts();
    if (!contexts?.[0]) throw new Error('the automation is detached: attach() first');
    return contexts[0];
  };
  const extensionBase = await extensionBaseOf(context());
  const attach = async () => {
    browser ??= await chromium.connectOverCDP(endpoint);
  };
  return {
    name: 'chromium',
    extensionBase,
    newPage: async () => wrap(await context().newPage()),
    nextPrompt: () => nextPromptIn(context(), extensionBase),
    pageAt: (prefix) => pageIn(context(), prefix),
    attach,
    async detach() {
      // Headless Chromium runs on without any page.
      for (const page of context().pages()) await page.close();
      const connected = browser;
      browser = null;
      // For a browser connected over CDP, close() only disconnects.
      await connected?.close();
    },
    async close() {
      await browser?.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
