// One interface over a Playwright page (Chromium) and a Puppeteer page (Firefox), so the
// story is written once. Expressions are strings, evaluated in the page, so neither library's
// way of shipping functions matters.

export interface UiPage {
  /** Navigates and waits for `readyExpression` (default: the document finished loading). */
  open(url: string, readyExpression?: string): Promise<void>;
  /**
   * Navigates to a web page without evaluating anything in it. Puppeteer evaluates with
   * transient user activation (WebDriver BiDi `userActivation: true`), so a page that must run
   * without a user gesture is opened this way and reports through its server instead.
   */
  goto(url: string): Promise<void>;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  /** Waits until the expression is truthy in the page. */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
  /** Evaluates the expression in the page, awaiting it when it is a promise. */
  evaluate<T>(expression: string): Promise<T>;
  setViewport(width: number, height: number): Promise<void>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface BrowserUnderTest {
  name: 'chromium' | 'firefox';
  /** `chrome-extension://<id>/` or `moz-extension://<uuid>/` */
  extensionBase: string;
  newPage(): Promise<UiPage>;
  /** Resolves with the next add-on prompt window; call before triggering it. */
  nextPrompt(): Promise<UiPage>;
  /** A page already open (or opening) at an address starting with `prefix`, e.g. one the add-on opened. */
  pageAt(prefix: string): Promise<UiPage>;
  /** Stops the background as the browser does when idle (Chromium's service worker). */
  stopBackground?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A browser whose automation can let go of it: detach() closes every page and disconnects, so
 * nothing but the browser itself can wake or hold the add-on; attach() connects again.
 */
export interface DetachableBrowser extends BrowserUnderTest {
  detach(): Promise<void>;
  attach(): Promise<void>;
}

/**
 * A host name both browsers resolve to 127.0.0.1 (Chromium by a resolver rule, Firefox by a
 * pref): `http://insecure.test:<port>` reaches a local test server but, unlike
 * `http://127.0.0.1`, is not a secure context.
 */
export const INSECURE_HOST = 'insecure.test';

/** The add-on's pages set data-ready once they have shown their state. */
export const EXTENSION_PAGE_READY = "document.documentElement.dataset.ready === 'true'";
export const DOCUMENT_LOADED = "document.readyState === 'complete'";

/** Checks every 100 ms until `check` gives something truthy; errors count as "not yet". */
export async function waitUntil(
  check: () => unknown,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      // e.g. the page is between two documents; try again.
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const detail = lastError ? ` (last error: ${String(lastError)})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${detail}`);
}

/**
 * Polls an expression through the automation protocol's own evaluation. Not the libraries'
 * waitForFunction: that compiles the expression inside the page, which the add-on pages'
 * CSP forbids.
 */
export function pollUntil(
  evaluate: (expression: string) => Promise<unknown>,
  expression: string,
  timeoutMs: number,
): Promise<void> {
  return waitUntil(
    () => evaluate(`Promise.resolve(${expression}).then(Boolean)`),
    expression,
    timeoutMs,
  );
}
