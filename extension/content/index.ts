// Content script (isolated world) on every http(s) page: the bridge between the page's
// navigator.push (page script, MAIN world) and the background.
import browser from 'webextension-polyfill';
import type { PageMessage } from '../messaging/runtime-messages.js';
import { parsePushMessage } from '../messaging/runtime-messages.js';
import { startBridgeHost } from './bridge-host.js';

// Pages with an opaque origin (sandboxed) cannot be told apart, so they get no API.
if (window.location.origin !== 'null') {
  const host = startBridgeHost(window, (request) =>
    browser.runtime.sendMessage({ kind: 'page', request } satisfies PageMessage),
  );
  browser.runtime.onMessage.addListener((message: unknown) => {
    const push = parsePushMessage(message);
    // The background picks tabs by origin; the tab may have moved on since it registered.
    if (push && push.origin === window.location.origin) host.push(push.data);
  });
}
