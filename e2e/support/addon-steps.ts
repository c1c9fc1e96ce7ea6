// What a user does with the add-on, as steps the e2e tests share. Each step drives the real
// pages (options, popup, prompt) by their controls, as a person with a keyboard or mouse would.
import { expect } from 'vitest';
import { type BrowserUnderTest, EXTENSION_PAGE_READY, type UiPage } from './ui-page.js';

export const js = (value: unknown) => JSON.stringify(value);

/** Lets a test take screenshots at the interesting moments of a step. */
export type OnStep = (name: string, page: UiPage) => Promise<void>;
const nothing: OnStep = async () => {};

/** Calls the add-on's background from one of its own pages (ui-api.ts), as its pages do. */
export function uiCall<T>(page: UiPage, method: string, params?: Record<string, unknown>) {
  return page.evaluate<T>(
    `(globalThis.browser ?? globalThis.chrome).runtime.sendMessage(${js({ kind: 'ui', method, params })}).then((r) => { if (!r.ok) throw new Error(r.error.message); return r.value; })`,
  );
}

export async function openOptions(browser: BrowserUnderTest): Promise<UiPage> {
  const options = await browser.newPage();
  await options.setViewport(1000, 1100);
  await options.open(`${browser.extensionBase}ui/options.html`, EXTENSION_PAGE_READY);
  return options;
}

/** The popup's own width (popup.css: 25rem of 14 px), as the browser's popup panel has it. */
const POPUP_WIDTH = 350;

export async function openPopup(browser: BrowserUnderTest): Promise<UiPage> {
  const popup = await browser.newPage();
  await popup.setViewport(POPUP_WIDTH, 760);
  await popup.open(`${browser.extensionBase}ui/popup.html`, EXTENSION_PAGE_READY);
  return popup;
}

/** On the options page: chooses a push server (after testing it), without touching the switch. */
export async function chooseServer(options: UiPage, serverUrl: string): Promise<void> {
  await options.fill('#server-url', serverUrl);
  await options.click('#server-test');
  await options.waitFor(
    "document.getElementById('server-status').textContent.startsWith('Connected')",
  );
  await options.click('#server-save');
  await options.waitFor("document.getElementById('server-status').textContent === 'Saved.'");
}

/** Chooses the server (after testing it) and turns notifications on. */
export async function chooseServerAndOptIn(options: UiPage, serverUrl: string): Promise<void> {
  await chooseServer(options, serverUrl);
  await options.click('#enabled');
  await options.waitFor("document.getElementById('enabled').checked");
}

/** Signs up and confirms the recovery key was saved; returns the recovery key. */
export async function signUp(
  options: UiPage,
  username: string,
  password: string,
  onStep: OnStep = nothing,
): Promise<string> {
  await options.fill('#signup-username', username);
  await options.fill('#signup-password', password);
  await onStep('options', options);
  await options.click('#signup-submit');
  await options.waitFor("!document.getElementById('recovery').hidden");
  const recoveryKey = await options.evaluate<string>(
    "document.getElementById('recovery-key').value",
  );
  // Continue stays disabled until the user says they saved the key.
  expect(await options.evaluate("document.getElementById('recovery-done').disabled")).toBe(true);
  await onStep('recovery-key', options);
  await options.click('#recovery-saved');
  await options.click('#recovery-done');
  await options.waitFor("!document.getElementById('signed-in').hidden");
  return recoveryKey;
}

/** Fills the sign-in form; resolves to the error shown, or null once signed in. */
export async function signIn(
  options: UiPage,
  username: string,
  password: string,
  recoveryKey: string,
): Promise<string | null> {
  await options.evaluate("document.getElementById('signin-error').hidden = true");
  await options.fill('#signin-username', username);
  await options.fill('#signin-password', password);
  await options.fill('#signin-recovery', recoveryKey);
  await options.click('#signin-submit');
  await options.waitFor(
    "!document.getElementById('signed-in').hidden || !document.getElementById('signin-error').hidden",
  );
  if (await options.evaluate<boolean>("!document.getElementById('signed-in').hidden")) return null;
  return options.evaluate<string>("document.getElementById('signin-error').textContent");
}

/**
 * Bids on the demo's lamp with "Notify me if I'm outbid" ticked and answers the add-on's
 * prompt; returns the item page, left open.
 */
export async function bidWithNotification(
  browser: BrowserUnderTest,
  itemUrl: string,
  bidder: string,
  amount: number,
  answer: 'allow' | 'block',
  onStep: OnStep = nothing,
): Promise<UiPage> {
  const site = await browser.newPage();
  await site.open(itemUrl);
  await site.fill('#bidder', bidder);
  await site.fill('#amount', String(amount));
  await site.click('#notify');
  const promptOpened = browser.nextPrompt();
  await site.click('button[type=submit]');
  const prompt = await promptOpened;
  await prompt.waitFor(EXTENSION_PAGE_READY);
  expect(await prompt.evaluate<string>("document.getElementById('origin').textContent")).toBe(
    new URL(itemUrl).origin,
  );
  await onStep('prompt', prompt);
  await prompt.click(`#${answer}`);
  await site.waitFor(
    `['subscribed', 'blocked'].includes(document.getElementById('status').dataset.state)`,
  );
  return site;
}

export const subscriptionRow = (origin: string) =>
  `#subscriptions li.subscription[data-origin="${origin}"]`;

export const hasNotification = (text: string) =>
  `[...document.querySelectorAll('#notifications li.notification')].some((li) => li.textContent.includes(${js(text)}))`;

/**
 * In the popup: ticks the subscriptions of `origins` (or "Select all"), presses Unsubscribe
 * and confirms; resolves to what the popup then says.
 */
export async function unsubscribeInPopup(
  popup: UiPage,
  origins: readonly string[] | 'all',
  onStep: OnStep = nothing,
): Promise<string> {
  if (origins === 'all') {
    await popup.click('#select-all');
  } else {
    for (const origin of origins) {
      await popup.waitFor(`document.querySelector(${js(subscriptionRow(origin))}) !== null`);
      await popup.click(`${subscriptionRow(origin)} input[type=checkbox]`);
    }
  }
  await popup.click('#unsubscribe');
  await popup.waitFor("!document.getElementById('unsubscribe-confirm').hidden");
  await onStep('unsubscribe', popup);
  await popup.click('#unsubscribe-yes');
  await popup.waitFor("!document.getElementById('unsubscribed').hidden");
  return popup.evaluate<string>("document.getElementById('unsubscribed-text').textContent");
}

/** In the settings: the Allow / Block / Ask shown for `origin`, or null when it is not listed. */
export function siteDecisionIn(options: UiPage, origin: string): Promise<string | null> {
  return options.evaluate<string | null>(
    `document.querySelector(${js(`#sites li.site[data-origin="${origin}"] select`)})?.value ?? null`,
  );
}

/** Sizes the window to the popup's content, as the browser's popup panel does (screenshots). */
export async function fitPopup(popup: UiPage): Promise<void> {
  const height = await popup.evaluate<number>(
    'Math.ceil(document.body.getBoundingClientRect().height)',
  );
  await popup.setViewport(POPUP_WIDTH, Math.min(Math.max(height, 200), 1200));
}
