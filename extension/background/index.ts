// The background entry: Firefox's persistent background page and Chromium's service worker
// alike. Listeners are registered synchronously at the top level, which is what lets Chromium
// wake the worker for them after it was stopped.
import browser from 'webextension-polyfill';
import { createBackground } from './create-background.js';

/**
 * Wakes a stopped background so it reconnects and fetches what queued up meanwhile. Chromium
 * keeps the worker running while the socket carries the 20 s pings (create-background.ts), so
 * this is the fallback for a worker stopped anyway (an update, a crash, the browser's
 * decision); Firefox's persistent page is never stopped, and a sync there costs nothing.
 */
const WAKE_ALARM = 'push-service-wake';
const WAKE_PERIOD_MINUTES = 0.5;

const background = createBackground(browser);

browser.runtime.onMessage.addListener(background.route);
browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === WAKE_ALARM) void background.connection.sync();
});
browser.runtime.onStartup.addListener(() => void background.connection.sync());
browser.runtime.onInstalled.addListener((details) => {
  void ensureWakeAlarm();
  // A new user's first steps are in the settings: turn it on, create an account.
  if (details.reason === 'install') void browser.runtime.openOptionsPage();
});
browser.notifications.onClicked.addListener((id) => void background.system.clicked(id));
browser.windows.onRemoved.addListener((windowId) => background.prompts.windowClosed(windowId));

async function ensureWakeAlarm(): Promise<void> {
  if (!(await browser.alarms.get(WAKE_ALARM))) {
    browser.alarms.create(WAKE_ALARM, { periodInMinutes: WAKE_PERIOD_MINUTES });
  }
}

void ensureWakeAlarm();
void background.connection.sync();
void background.system.refreshBadge();
// A background stopped mid-pairing may have left a half-added device on the account.
void background.pairing.recover();
