// The background entry: a Firefox event page and a Chromium service worker alike. Listeners
// are registered synchronously at the top level, which is what lets either browser wake the
// script for them after it was stopped.
import browser from 'webextension-polyfill';
import { createBackground } from './create-background.js';

/** Wakes a stopped background so it reconnects and fetches what queued up meanwhile. */
const WAKE_ALARM = 'push-service-wake';
const WAKE_PERIOD_MINUTES = 0.5;

const background = createBackground(browser);

browser.runtime.onMessage.addListener(background.route);
browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === WAKE_ALARM) void background.connection.sync();
});
browser.runtime.onStartup.addListener(() => void background.connection.sync());
browser.runtime.onInstalled.addListener(() => void ensureWakeAlarm());
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
