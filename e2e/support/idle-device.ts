// Does the add-on keep its one connection while the browser sits idle, and does a push then
// arrive at once? A signed-up, subscribed browser is left alone — no page of a site or of the
// add-on open, the automation disconnected — while the server's log counts the device's
// connections (`client.connected` is logged once per completed hello, docs/operations.md).
// Then pushes are sent one after another, each timed from just before its POST to the
// server's log of its ack: the add-on acks only after it stored the message and created the
// system notification, so that is push → notification, plus the ack's way back.
// Used by e2e/idle.test.ts and by `npm run bench` (bench/idle-browsers.ts).
import { expect } from 'vitest';
import { shortId } from '../../server/observability/logger.js';
import type { TestServer } from '../../server/testing/test-server.js';
import type { PushSubscriptionJSON } from '../../shared/protocol.js';
import { chooseServerAndOptIn, js, openOptions, openPopup, signUp, uiCall } from './addon-steps.js';
import { sendPush, type TestSite } from './test-site.js';
import { type DetachableBrowser, EXTENSION_PAGE_READY, waitUntil } from './ui-page.js';

export interface ReadyDevice {
  browser: DetachableBrowser;
  clientId: string;
  subscription: PushSubscriptionJSON;
}

/** Signs up on `server`, subscribes `site` (the user clicks Subscribe, then Allow). */
export async function prepareDevice(
  browser: DetachableBrowser,
  server: TestServer,
  site: TestSite,
  username: string,
): Promise<ReadyDevice> {
  const options = await openOptions(browser);
  await chooseServerAndOptIn(options, server.config.publicUrl);
  await signUp(options, username, 'idle for five minutes');
  const state = await uiCall<{ account: { clientId: string } }>(options, 'getState');
  await options.close();

  const page = await browser.newPage();
  await page.open(`${site.url}/`);
  const prompt = browser.nextPrompt();
  await page.click('#subscribe');
  const question = await prompt;
  await question.waitFor(EXTENSION_PAGE_READY);
  await question.click('#allow');
  await page.waitFor("document.body.dataset.state === 'done'");
  const subscription = JSON.parse(
    await page.evaluate<string>('document.body.dataset.result'),
  ) as PushSubscriptionJSON;
  await page.close();
  return { browser, clientId: state.account.clientId, subscription };
}

export interface IdleOptions {
  idleMs: number;
  pushes: number;
  /** Pause between two pushes, so each finds the add-on as it is between messages. */
  gapMs: number;
}

export interface IdleResult {
  browser: 'firefox' | 'chromium';
  idleMs: number;
  /** Hellos completed by this device while it was left alone (reconnections). */
  connectsWhileIdle: number;
  disconnectsWhileIdle: number;
  /** push POST → the device's ack reached the server, per push, in ms. */
  latenciesMs: number[];
  /** Pushes the device never acked within the wait. */
  lost: number;
  /** The notifications the popup lists afterwards, of those sent here. */
  shownInPopup: number;
}

const connectionEvents = (server: TestServer, clientId: string, from: number) => {
  const id = shortId(clientId);
  const events = server.logs
    .slice(from)
    .filter(
      (line) =>
        line.clientId === id &&
        (line.event === 'client.connected' || line.event === 'client.disconnected'),
    )
    .map((line) => line.event as string);
  return {
    connects: events.filter((e) => e === 'client.connected').length,
    disconnects: events.filter((e) => e === 'client.disconnected').length,
    last: events.at(-1) ?? null,
  };
};

/** Resolves when the server logged the ack of `messageId`; false after `timeoutMs`. */
async function acked(server: TestServer, messageId: string, timeoutMs: number) {
  const id = shortId(messageId);
  const deadline = performance.now() + timeoutMs;
  let checked = 0;
  while (performance.now() < deadline) {
    const logs = server.logs;
    for (; checked < logs.length; checked++) {
      if (logs[checked]?.event === 'push.acked' && logs[checked]?.messageId === id) return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the device is connected, leaves it idle for `idleMs` with the automation
 * detached, then times `pushes` pushes; re-attaches to count what the popup shows.
 */
export async function idleThenPush(
  device: ReadyDevice,
  server: TestServer,
  site: TestSite,
  options: IdleOptions,
): Promise<IdleResult> {
  const { browser, clientId } = device;
  await waitUntil(
    () => connectionEvents(server, clientId, 0).last === 'client.connected',
    `${browser.name} connected to the server`,
    30_000,
  );
  await browser.detach();
  const idleFrom = server.logs.length;
  await sleep(options.idleMs);
  const idle = connectionEvents(server, clientId, idleFrom);

  const title = `Idle ${browser.name} ${Date.now().toString(36)}`;
  const latenciesMs: number[] = [];
  let lost = 0;
  for (let i = 1; i <= options.pushes; i++) {
    if (i > 1) await sleep(options.gapMs);
    const payload = JSON.stringify({ title: `${title} #${i}`, body: 'after an idle spell' });
    const sent = await sendPush(device.subscription, payload, site.vapid);
    expect(sent.status).toBe(201);
    if (sent.messageId && (await acked(server, sent.messageId, 30_000))) {
      latenciesMs.push(performance.now() - sent.postedAt);
    } else {
      lost++;
    }
  }

  await browser.attach();
  const popup = await openPopup(browser);
  const shownInPopup = await popup.evaluate<number>(
    `[...document.querySelectorAll('#notifications li.notification')].filter((li) => li.textContent.includes(${js(title)})).length`,
  );
  await popup.close();
  return {
    browser: browser.name,
    idleMs: options.idleMs,
    connectsWhileIdle: idle.connects,
    disconnectsWhileIdle: idle.disconnects,
    latenciesMs,
    lost,
    shownInPopup,
  };
}
